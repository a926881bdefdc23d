import ActorRuntime
import ActorRuntimeTestSupport
import Distributed
import Testing

@Suite struct RemoteCallTests {
    @Test func threeNodesCallEachOthersActors() async throws {
        try await withCluster(["a", "b", "c"]) { cluster in
            var probes: [String: Probe] = [:]
            for system in cluster.systems {
                probes[system.node] = system.makeActor(path: "/service/probe") { Probe(actorSystem: system) }
            }
            for caller in cluster.systems {
                for target in cluster.systems where target !== caller {
                    let remote = try Probe.resolve(id: .service("probe", on: target.node), using: caller)
                    #expect(remote.id.node == target.node)
                    let greeting = try await remote.greet("from \(caller.node)", times: 2)
                    #expect(greeting == "hello from \(caller.node), hello from \(caller.node)")
                }
            }
            let basket = Basket(
                userID: "user-1",
                items: [
                    LineItem(productID: "product-1", quantity: 11, note: nil),
                    LineItem(productID: "p'; DROP TABLE x;--", quantity: 21, note: "ünïcødé \"quoted\""),
                ],
                total: 1_460_000.5,
                tags: ["a": 1, "b": 2]
            )
            let remote = try Probe.resolve(id: .service("probe", on: "c"), using: cluster["a"])
            #expect(try await remote.echo(basket) == basket)
            // An actor reference travels as an argument and is called from the receiving node.
            let viaB = try Probe.resolve(id: .service("probe", on: "b"), using: cluster["a"])
            #expect(try await viaB.peer(remote) == "hello via b")
            let callsOnC = await probes["c"]!.whenLocal { $0.calls }
            #expect(callsOnC == 4)
        }
    }

    @Test func localActorsAreCalledWithoutTheNetwork() async throws {
        try await withCluster(["a", "b"]) { cluster in
            let a = cluster["a"]
            let probe = a.makeActor(path: "/service/probe") { Probe(actorSystem: a) }
            let before = a.transportStats.snapshot.framesSent
            let resolved = try Probe.resolve(id: probe.id, using: a)
            #expect(resolved === probe)
            for _ in 0..<50 { try await resolved.bump() }
            #expect(try await resolved.callCount() == 50)
            // Heartbeats may go out meanwhile, but not 50 calls.
            #expect(a.transportStats.snapshot.framesSent - before < 10)
        }
    }

    @Test func aRemoteThrowArrivesAsTheTypedRemoteError() async throws {
        try await withCluster(["a", "b"]) { cluster in
            let b = cluster["b"]
            let probe = b.makeActor(path: "/service/probe") { Probe(actorSystem: b) }
            defer { withExtendedLifetime(probe) {} }  // the registry holds actors weakly
            let remote = try Probe.resolve(id: .service("probe", on: "b"), using: cluster["a"])
            do {
                _ = try await remote.reserve("product-2")
                Issue.record("expected a throw")
            } catch let error as RuntimeError {
                #expect(error.code == .remoteCallFailed)
                #expect(
                    error.remote
                        == RemoteError(
                            code: "out_of_stock", message: "product product-2 is out of stock", errorType: "OutOfStock")
                )
            }
            // An error that does not opt in to sharing reveals only its type.
            do {
                try await remote.leak()
                Issue.record("expected a throw")
            } catch let error as RuntimeError {
                #expect(error.code == .remoteCallFailed)
                #expect(error.remote?.code == "remote_error")
                #expect(error.remote?.message == "remote error of type SecretFailure")
                #expect(!"\(error)".contains("SELECT"))
            }
        }
    }

    @Test func aSlowHandlerHitsTheDeadline() async throws {
        try await withCluster(["a", "b"]) { cluster in
            let b = cluster["b"]
            let probe = b.makeActor(path: "/service/probe") { Probe(actorSystem: b) }
            defer { withExtendedLifetime(probe) {} }  // the registry holds actors weakly
            let remote = try Probe.resolve(id: .service("probe", on: "b"), using: cluster["a"])
            let clock = ContinuousClock()
            let start = clock.now
            do {
                _ = try await ClusterSystem.withCallTimeout(.milliseconds(200)) {
                    try await remote.sleep(milliseconds: 3_000)
                }
                Issue.record("expected a timeout")
            } catch let error as RuntimeError {
                #expect(error.code == .callTimedOut)
            }
            #expect(clock.now - start < .seconds(2))
            // The connection is still fine afterwards.
            #expect(try await remote.sleep(milliseconds: 1) == 1)
        }
    }

    @Test func unknownActorsAndNodesHaveTheirOwnErrors() async throws {
        try await withCluster(["a", "b"]) { cluster in
            let a = cluster["a"]
            let missingRemote = try Probe.resolve(id: .service("nobody", on: "b"), using: a)
            await #expect(throws: RuntimeError.self) { try await missingRemote.bump() }
            do { try await missingRemote.bump() } catch let error as RuntimeError {
                #expect(error.code == .unknownActor)
                #expect(error.message.contains("/service/nobody"))
            }
            let missingLocal = try Probe.resolve(id: .service("nobody", on: "a"), using: a)
            do {
                try await missingLocal.bump()
                Issue.record("expected a throw")
            } catch let error as RuntimeError {
                #expect(error.code == .unknownActor)
            }
            let nowhere = try Probe.resolve(id: .service("probe", on: "zz"), using: a)
            do {
                try await nowhere.bump()
                Issue.record("expected a throw")
            } catch let error as RuntimeError {
                #expect(error.code == .unknownNode)
            }
        }
    }

    @Test func largeRepetitivePayloadsTravelCompressedSmallOnesDoNot() async throws {
        try await withCluster(["a", "b"]) { cluster in
            let a = cluster["a"]
            let b = cluster["b"]
            let probe = b.makeActor(path: "/service/probe") { Probe(actorSystem: b) }
            defer { withExtendedLifetime(probe) {} }  // the registry holds actors weakly
            let remote = try Probe.resolve(id: .service("probe", on: "b"), using: a)

            let small = String(repeating: "x", count: 100)
            let beforeSmall = a.transportStats.snapshot
            #expect(try await remote.size(of: small) == 100)
            #expect(a.transportStats.snapshot.framesDeflated == beforeSmall.framesDeflated)

            let big = String(repeating: "order-line;", count: 65_536 / 11 + 1)
            let before = a.transportStats.snapshot
            #expect(try await remote.size(of: big) == big.utf8.count)
            let after = a.transportStats.snapshot
            #expect(after.framesDeflated == before.framesDeflated + 1)
            // 64 KiB went out in far fewer bytes (heartbeats included in the difference).
            #expect(after.bytesSent - before.bytesSent < 8_192)
        }
    }

    @Test func concurrentCallsAllComplete() async throws {
        try await withCluster(["a", "b"]) { cluster in
            let b = cluster["b"]
            let probe = b.makeActor(path: "/service/probe") { Probe(actorSystem: b) }
            let remote = try Probe.resolve(id: probe.id, using: cluster["a"])
            try await withThrowingTaskGroup(of: String.self) { group in
                // A generous deadline: this checks that every call completes, not how fast on a loaded machine.
                for i in 0..<500 {
                    group.addTask {
                        try await ClusterSystem.withCallTimeout(.seconds(60)) {
                            try await remote.greet("\(i)", times: 1)
                        }
                    }
                }
                var seen = Set<String>()
                for try await reply in group { seen.insert(reply) }
                #expect(seen.count == 500)
            }
            #expect(await probe.whenLocal { $0.calls } == 500)
        }
    }
}

@Suite struct ClientRoleTests {
    @Test func aClientWithTheSecretCallsNodesWithoutJoining() async throws {
        try await withCluster(["a", "b"]) { cluster in
            let b = cluster["b"]
            let probe = b.makeActor(path: "/service/probe") { Probe(actorSystem: b) }
            var settings = TestCluster.settings("status-tool")
            settings.role = .client
            settings.peers = [b.boundAddress!]
            let client = ClusterSystem(settings: settings)
            try await client.start()
            try await client.waitForMembers(["b"])
            #expect(client.boundAddress?.port == 0)  // it listens nowhere
            let remote = try Probe.resolve(id: probe.id, using: client)
            #expect(try await remote.greet("tool", times: 1) == "hello tool")
            // The node does not list the client as a member.
            #expect(b.status().members.map(\.name) == ["b", "a"])
            await client.shutdown()

            var wrong = TestCluster.settings("intruder", secret: "not-the-cluster-secret")
            wrong.role = .client
            wrong.peers = [b.boundAddress!]
            let intruder = ClusterSystem(settings: wrong)
            try await intruder.start()
            try await eventually("b refused the intruder") {
                b.transportStats.snapshot.handshakesRefused + b.transportStats.snapshot.handshakesRejected > 0
            }
            try await eventually("the intruder sees b unreachable") { intruder.memberState("b") == .unreachable }
            await intruder.shutdown()
            #expect(await probe.whenLocal { $0.calls } == 1)
        }
    }
}
