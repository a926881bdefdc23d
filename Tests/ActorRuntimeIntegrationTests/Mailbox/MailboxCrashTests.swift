import ActorRuntime
import ActorRuntimeTestSupport
import Foundation
import NIOCore
import Synchronization
import Testing

@Suite struct MailboxCrashTests {
    @Test func aMessageCommittedBeforeTheRelayRanIsDeliveredAfterARestart() async throws {
        try await withMailboxes { f in
            f.start(f.beta)
            // alpha is not running: its commit lands in the outbox and nobody relays it ...
            try await f.alpha.transaction { turn in try turn.send(Ledger.credit("acct", 9), to: "beta") }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await f.balance(f.betaDB, "acct") == 0)
            #expect(try await f.pending(f.alphaDB) == 1)
            // ... until a new process (a new mailbox on the same database) starts.
            f.start(f.recreate("alpha"))
            try await f.eventually("delivered after restart") { try await f.balance(f.betaDB, "acct") == 9 }
        }
    }

    @Test func aLostAckIsRedeliveredAndDeduplicated() async throws {
        try await withMailboxes { f in
            // Route a → b through a proxy that can go silent.
            let proxy = try await FreezingProxy.start(
                to: try .makeAddressResolvingHost("127.0.0.1", port: f.b.boundAddress!.port))
            f.a.markDown("b")
            f.a.addPeer(NodeAddress(name: "b", host: "127.0.0.1", port: proxy.port))
            try await f.eventually("a reaches b through the proxy") { f.a.memberState("b") == .up }
            // Beta commits, then the network dies before its reply gets back.
            f.switches.afterCredit.withLock { $0 = { proxy.freeze() } }
            f.start(f.alpha)
            f.start(f.beta)
            try await f.alpha.transaction { turn in try turn.send(Ledger.credit("acct", 5), to: "beta") }
            try await f.eventually("beta committed") { try await f.balance(f.betaDB, "acct") == 5 }
            f.switches.afterCredit.withLock { $0 = nil }
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await f.pending(f.alphaDB) == 1)  // alpha never heard the ack
            proxy.thaw()
            try await f.eventually("redelivered and acked") { try await f.pending(f.alphaDB) == 0 }
            #expect(try await f.balance(f.betaDB, "acct") == 5)
            #expect(try await f.applied(f.betaDB).count == 1)
            await proxy.close()
        }
    }

    @Test func aDownReceiverGetsEverythingInOrderWhenItReturns() async throws {
        try await withMailboxes { f in
            f.start(f.alpha)
            f.start(f.beta)
            try await f.alpha.transaction { turn in try turn.send(Ledger.credit("acct", 1, note: "first"), to: "beta") }
            try await f.eventually("first applied") { try await f.balance(f.betaDB, "acct") == 1 }
            try await f.eventually("first acked") { try await f.pending(f.alphaDB) == 0 }
            // Node b goes away for a few seconds.
            let port = f.b.boundAddress!.port
            await f.stop("beta")
            await f.b.shutdown()
            for i in 0..<40 {
                try await f.alpha.transaction { turn in
                    try turn.send(Ledger.credit("acct", 1, note: "\(i)"), to: "beta")
                }
            }
            try await Task.sleep(for: .seconds(2))
            #expect(try await f.pending(f.alphaDB) == 40)
            // It returns on the same port, as a new incarnation with a new mailbox object.
            f.b = ClusterSystem(settings: TestSettings.cluster("b", port: port))
            try await f.b.start()
            f.b.addPeer(f.a.boundAddress!)
            let beta = MailboxFixture.makeMailbox("beta", f.betaDB, f.b, f.switches, f.tune)
            f.start(beta)
            try await f.eventually("all delivered") { try await f.balance(f.betaDB, "acct") == 41 }
            #expect(try await f.applied(f.betaDB).map(\.note) == ["first"] + (0..<40).map { "\($0)" })
        }
    }

    @Test func aHandlerThatKeepsFailingMakesADeadLetterThatReplaysOnce() async throws {
        try await withMailboxes(tune: { $0.maxAttempts = 3 }) { f in
            f.start(f.alpha)
            f.start(f.beta)
            let poison = OutgoingMessage(type: "Poison", payload: "{}")
            try await f.alpha.transaction { turn in
                try turn.send(poison, to: "beta")
                try turn.send(Ledger.credit("acct", 1, note: "after"), to: "beta")
            }
            try await f.eventually("dead letter") { try await f.alpha.deadLetters().count == 1 }
            let dead = try await f.alpha.deadLetters()[0]
            #expect(dead.messageID == poison.id)
            #expect(dead.attempts == 3)
            #expect(dead.lastError?.contains("poisoned message refused") == true)
            // It was isolated: the message sent with it was not held behind it.
            try await f.eventually("later message delivered") { try await f.balance(f.betaDB, "acct") == 1 }
            #expect(try await f.alpha.stats().deadLetters == 1)

            f.switches.poison.store(false, ordering: .relaxed)  // the handler is fixed
            #expect(try await f.alpha.replay() == ReplayReport(replayed: 1, refused: []))
            try await f.eventually("replayed") {
                let dead = try await f.alpha.deadLetters()
                let pending = try await f.pending(f.alphaDB)
                return dead.isEmpty && pending == 0
            }
            #expect(try await f.applied(f.betaDB).filter { $0.note == "poison" }.count == 1)
        }
    }

    @Test func durableTimersFireAfterTheirDelayAndAcrossARestart() async throws {
        try await withMailboxes { f in
            try await f.alpha.transaction { turn in
                try turn.schedule(Ledger.credit("timer", 1), after: .milliseconds(600))
            }
            let scheduledAt = ContinuousClock.now
            // Written by a mailbox that never runs: a restart-equivalent picks it up.
            f.start(f.recreate("alpha"))
            try await f.eventually("timer fired") { try await f.balance(f.alphaDB, "timer") == 1 }
            // database and test clocks differ slightly
            #expect(ContinuousClock.now - scheduledAt >= .milliseconds(550))
        }
    }

    @Test func deliveredRowsLeaveTheOutboxAndPruningRemovesOnlyOldInboxIds() async throws {
        try await withMailboxes { f in
            f.start(f.alpha)
            f.start(f.beta)
            for _ in 0..<3 {
                try await f.alpha.transaction { turn in try turn.send(Ledger.credit("acct", 1), to: "beta") }
            }
            try await f.eventually("delivered") { try await f.balance(f.betaDB, "acct") == 3 }
            // Acknowledged rows are deleted: the outbox holds only what is still to deliver.
            try await f.eventually("acknowledged") {
                try await f.alphaDB.query("SELECT count(*) AS n FROM outbox").first?.int("n") == 0
            }
            try await f.betaDB.query(
                "UPDATE inbox SET received_at = now() - interval '10 days' WHERE message_id IN (SELECT message_id FROM inbox LIMIT 1)"
            )
            #expect(try await f.beta.prune() == 1)
            #expect(try await f.betaDB.query("SELECT count(*) AS n FROM inbox").first?.int("n") == 2)
            #expect(try await f.beta.prune() == 0)
        }
    }
}
