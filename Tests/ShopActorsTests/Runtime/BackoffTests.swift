import ActorRuntime
import Testing

/// The runtime's capped, jittered backoff (reconnects, the relays' retries), as pure arithmetic.
@Suite struct BackoffTests {
    /// SplitMix64: a seeded generator, so a test's jitter repeats.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func delaysDoubleUpToTheCapWithinTheJitter() {
        var backoff = ClusterSystem.Backoff()
        backoff.initial = .milliseconds(100)
        backoff.maximum = .seconds(1)
        backoff.jitter = 0
        let delays = (0..<6).map { backoff.delay(attempt: $0) }
        #expect(delays == [100, 200, 400, 800, 1000, 1000].map { Duration.milliseconds($0) })

        backoff.jitter = 0.2
        var first = Seeded(state: 42)
        var second = Seeded(state: 42)
        let jittered = (0..<200).map { backoff.delay(attempt: $0 % 8, using: &first) }
        #expect(jittered == (0..<200).map { backoff.delay(attempt: $0 % 8, using: &second) })
        for (index, delay) in jittered.enumerated() {
            let nominal = delays[min(index % 8, 5)]
            #expect(delay >= nominal * 0.8 && delay <= nominal * 1.2)
        }
        #expect(Set(jittered).count > 100)  // it does vary
    }
}
