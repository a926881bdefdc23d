import ActorRuntime
import ActorRuntimeTestSupport
import NIOCore
import Testing

/// Heartbeats, failure detection and reconnect backoff read `Settings.clock`: with a manual clock, a test moves
/// time instead of waiting for it. Each test's real timeouts are an hour or a minute, so it passes only because
/// the clock it moves is the one those timers read.
@Suite struct RuntimeClockTests {
    @Test func aSilentPeerIsCutExactlyWhenTheClockPassesTheFailureTimeout() async throws {
        let clock = ManualClock()
        var settingsA = TestCluster.settings("a")
        settingsA.clock = RuntimeClock(clock)
        settingsA.heartbeatInterval = .seconds(1)
        settingsA.failureTimeout = .seconds(60)
        var settingsB = TestCluster.settings("b")
        settingsB.heartbeatInterval = .seconds(3600)  // b sends nothing of its own once the link is up,
        settingsB.failureTimeout = .seconds(7200)  // and never gives up on a by itself
        let a = ClusterSystem(settings: settingsA)
        let b = ClusterSystem(settings: settingsB)
        try await a.start()
        try await b.start()
        let proxy = try await TestCluster.linkThroughProxy(a, b)

        proxy.freeze()  // from here a hears nothing from b; its clock still reads 0 s
        for second in 1...60 {
            try await Self.asleep(clock, until: .seconds(second))  // the heartbeat loop finished its last round
            clock.advance(by: .seconds(1))
        }
        try await Self.asleep(clock, until: .seconds(61))
        #expect(a.memberState("b") == .up)  // 60 s silent is not more than the 60 s timeout
        clock.advance(by: .seconds(1))
        try await a.waitForMembers(["b"], toBe: .unreachable, timeout: .seconds(30))

        await proxy.close()
        await a.shutdown()
        await b.shutdown()
    }

    @Test func aNodeRedialsWhenItsClockReachesTheBackoffDelay() async throws {
        let clock = ManualClock()
        let port = TestSettings.restartablePort()
        var settingsA = TestCluster.settings("a")
        settingsA.clock = RuntimeClock(clock)
        settingsA.heartbeatInterval = .seconds(1)
        settingsA.reconnectBackoff.initial = .seconds(3600)
        settingsA.reconnectBackoff.maximum = .seconds(3600)
        settingsA.reconnectBackoff.jitter = 0
        let a = ClusterSystem(settings: settingsA)
        try await a.start()
        a.addPeer(NodeAddress(name: "b", host: "127.0.0.1", port: port))  // nobody listens there yet
        try await eventually("a's dial loop backs off for an hour") {
            clock.deadlines.contains(ManualClock.Instant(offset: .seconds(3600)))
        }

        let b = ClusterSystem(settings: TestCluster.settings("b", port: port))
        try await b.start()
        b.addPeer(a.boundAddress!)  // b knows a; the smaller name (a) is the one that dials
        clock.advance(by: .seconds(3600))
        try await a.waitForMembers(["b"], timeout: .seconds(30))

        await a.shutdown()
        await b.shutdown()
    }

    private static func asleep(_ clock: ManualClock, until deadline: Duration) async throws {
        try await eventually("a's heartbeat loop sleeps until \(deadline)", every: .milliseconds(1)) {
            clock.nextDeadline == ManualClock.Instant(offset: deadline)
        }
    }
}
