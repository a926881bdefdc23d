import ActorRuntime
import ActorRuntimeTestSupport
import Testing

/// The runtime's capped, jittered backoff (reconnects, the relays' retries), as pure arithmetic.
@Suite struct BackoffTests {
    @Test func delaysDoubleUpToTheCapWithinTheJitter() {
        var backoff = ClusterSystem.Backoff()
        backoff.initial = .milliseconds(100)
        backoff.maximum = .seconds(1)
        backoff.jitter = 0
        let delays = (0..<6).map { backoff.delay(attempt: $0) }
        #expect(delays == [100, 200, 400, 800, 1000, 1000].map { Duration.milliseconds($0) })

        backoff.jitter = 0.2
        var first = SeededGenerator(seed: 42)
        var second = SeededGenerator(seed: 42)
        let jittered = (0..<200).map { backoff.delay(attempt: $0 % 8, using: &first) }
        #expect(jittered == (0..<200).map { backoff.delay(attempt: $0 % 8, using: &second) })
        for (index, delay) in jittered.enumerated() {
            let nominal = delays[min(index % 8, 5)]
            #expect(delay >= nominal * 0.8 && delay <= nominal * 1.2)
        }
        #expect(Set(jittered).count > 100)  // it does vary
    }
}
