import ActorRuntime
import ActorRuntimeTestSupport
import Distributed
import NIOCore
import Testing

@Suite struct MembershipTests {
    @Test func aStoppedPeerFailsFastAndARestartedOneIsANewIncarnation() async throws {
        let a = ClusterSystem(settings: TestCluster.settings("a"))
        let b = ClusterSystem(settings: TestCluster.settings("b", port: TestSettings.restartablePort()))
        try await a.start()
        try await b.start()
        defer { withExtendedLifetime(a) {} }
        let bAddress = b.boundAddress!
        a.addPeer(bAddress)
        b.addPeer(a.boundAddress!)
        try await a.waitForMembers(["b"])
        let probe = b.makeActor(path: "/service/probe") { Probe(actorSystem: b) }
        let remote = try Probe.resolve(id: probe.id, using: a)
        #expect(try await remote.greet("x", times: 1) == "hello x")
        let firstIncarnation = a.status().members.first { $0.name == "b" }?.incarnation
        #expect(firstIncarnation == b.incarnation)

        await b.shutdown()
        try await a.waitForMembers(["b"], toBe: .down, timeout: .seconds(5))
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await remote.greet("y", times: 1)
            Issue.record("expected unreachable")
        } catch let error as RuntimeError {
            #expect(error.code == .peerUnreachable)
        }
        #expect(clock.now - start < .milliseconds(500))  // the deadline is 5 s: this failed fast

        // Same name, same port, new process-equivalent.
        let b2 = ClusterSystem(settings: TestCluster.settings("b", port: bAddress.port))
        try await b2.start()
        b2.addPeer(a.boundAddress!)
        let probe2 = b2.makeActor(path: "/service/probe") { Probe(actorSystem: b2) }
        try await a.waitForMembers(["b"], timeout: .seconds(10))
        #expect(try await remote.greet("again", times: 1) == "hello again")
        let second = a.status().members.first { $0.name == "b" }
        #expect(second?.incarnation == b2.incarnation)
        #expect(second?.incarnation != firstIncarnation)
        #expect(second?.state == .up)
        withExtendedLifetime(probe2) {}
        await b2.shutdown()
        await a.shutdown()
    }

    @Test func shutdownFailsPendingCallsWithTheShutdownError() async throws {
        try await withCluster(["a", "b"]) { cluster in
            let b = cluster["b"]
            let probe = b.makeActor(path: "/service/probe") { Probe(actorSystem: b) }
            defer { withExtendedLifetime(probe) {} }
            let remote = try Probe.resolve(id: probe.id, using: cluster["a"])
            // The call would run 20 s: failing within 10 s means shutdown failed it, however loaded the machine.
            async let pending = ClusterSystem.withCallTimeout(.seconds(60)) {
                try await remote.sleep(milliseconds: 20_000)
            }
            try await eventually("the call runs on b") { await probe.whenLocal { $0.calls } == 1 }
            let clock = ContinuousClock()
            let start = clock.now
            await cluster["a"].shutdown()
            do {
                _ = try await pending
                Issue.record("expected the shutdown error")
            } catch let error as RuntimeError {
                #expect(error.code == .shuttingDown)
            }
            #expect(clock.now - start < .seconds(10))
        }
    }

    @Test func statusShowsEveryMemberWithRTTAndServices() async throws {
        try await withCluster(["a", "b", "c"]) { cluster in
            let a = cluster["a"]
            let probe = a.makeActor(path: "/service/probe") { Probe(actorSystem: a) }
            defer { withExtendedLifetime(probe) {} }
            // RTT is measured by heartbeats: wait for one to come back from each peer, however loaded the machine.
            var status = a.status()
            try await eventually("a heartbeat back from b and c", timeout: .seconds(30)) {
                status = a.status()
                return status.members.dropFirst().allSatisfy { ($0.rttMicros ?? 0) > 0 }
            }
            #expect(status.members.map(\.name) == ["a", "b", "c"])
            #expect(status.members.allSatisfy { $0.state == .up })
            #expect(status.members.dropFirst().allSatisfy { ($0.rttMicros ?? 0) > 0 })
            #expect(status.members.dropFirst().allSatisfy { ($0.uptimeSeconds ?? -1) >= 0 })
            #expect(status.services == ["/service/probe"])
            #expect(status.members[1].incarnation == cluster["b"].incarnation)
        }
    }

    @Test func aPeerThatNeverStartedIsUnreachableAndCallsFailFast() async throws {
        let a = ClusterSystem(settings: TestCluster.settings("a"))
        try await a.start()
        a.addPeer(NodeAddress(name: "ghost", host: "127.0.0.1", port: 1))
        let remote = try Probe.resolve(id: .service("probe", on: "ghost"), using: a)
        do {
            try await remote.bump()
            Issue.record("expected unreachable")
        } catch let error as RuntimeError {
            #expect(error.code == .peerUnreachable)
        }
        #expect(a.memberState("ghost") == .unreachable)
        await a.shutdown()
    }
}

@Suite struct FailureDetectionTests {
    @Test func aSilentPeerBecomesUnreachableAndRecovers() async throws {
        func settings(_ name: String) -> ClusterSystem.Settings {
            var settings = TestCluster.settings(name)
            settings.heartbeatInterval = .milliseconds(100)
            settings.failureTimeout = .milliseconds(1500)
            settings.handshakeTimeout = .seconds(2)  // a handshake is not what this test measures
            return settings
        }
        let a = ClusterSystem(settings: settings("a"))
        let b = ClusterSystem(settings: settings("b"))
        try await a.start()
        try await b.start()
        let probe = b.makeActor(path: "/service/probe") { Probe(actorSystem: b) }
        defer { withExtendedLifetime(probe) {} }
        let proxy = try await TestCluster.linkThroughProxy(a, b)
        let remote = try Probe.resolve(id: probe.id, using: a)
        /// A call that gets through: on a loaded machine (the fault campaign runs beside this) a heartbeat can
        /// come late and cut a fresh link, so it is retried until the link holds.
        func bumpOnceTheLinkHolds() async throws -> Bool {
            for _ in 0..<20 {
                try await a.waitForMembers(["b"], timeout: .seconds(30))
                do {
                    try await remote.bump()
                    return true
                } catch let error as RuntimeError where error.code == .peerUnreachable {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            return false
        }
        #expect(try await bumpOnceTheLinkHolds())

        proxy.freeze()
        // Nothing closes: only the missing heartbeats tell.
        try await a.waitForMembers(["b"], toBe: .unreachable, timeout: .seconds(15))
        try await b.waitForMembers(["a"], toBe: .unreachable, timeout: .seconds(15))
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: RuntimeError.self) { try await remote.bump() }
        #expect(clock.now - start < .milliseconds(500))

        proxy.thaw()
        #expect(try await bumpOnceTheLinkHolds())  // recovery
        #expect(await probe.whenLocal { $0.calls } ?? 0 >= 2)
        #expect(a.status().members.first { $0.name == "b" }?.incarnation == b.incarnation)  // same process
        await proxy.close()
        await a.shutdown()
        await b.shutdown()
    }
}
