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
        let clock = ManualClock()
        try await withMailboxes(tune: Self.hourLongBackoff, nodeA: { Self.onManualClock(&$0, clock) }) { f in
            // Route a → b through a proxy that can go silent.
            let proxy = try await FreezingProxy.start(
                to: try .makeAddressResolvingHost("127.0.0.1", port: f.b.boundAddress!.port))
            f.a.markDown("b")
            f.a.addPeer(NodeAddress(name: "b", host: "127.0.0.1", port: proxy.port))
            try await f.eventually("a reaches b through the proxy") {
                clock.advance(by: .seconds(1))  // a's redial waits on its clock
                return f.a.memberState("b") == .up
            }
            // Beta commits, then the network dies before its reply gets back.
            f.switches.afterCredit.withLock { $0 = { proxy.freeze() } }
            f.start(f.alpha)
            f.start(f.beta)
            try await f.alpha.transaction { turn in try turn.send(Ledger.credit("acct", 5), to: "beta") }
            try await f.eventually("beta committed") {
                clock.advance(by: Self.backoff)  // if the first try came before beta's endpoint was up
                return try await f.balance(f.betaDB, "acct") == 5
            }
            f.switches.afterCredit.withLock { $0 = nil }
            // The delivery call times out and alpha's relay backs off: the ack was lost.
            try await Self.relayBacksOff(clock)
            #expect(try await f.pending(f.alphaDB) == 1)
            proxy.thaw()
            try await f.eventually("redelivered and acked") {
                clock.advance(by: Self.backoff)
                return try await f.pending(f.alphaDB) == 0
            }
            #expect(try await f.balance(f.betaDB, "acct") == 5)
            #expect(try await f.applied(f.betaDB).count == 1)
            await proxy.close()
        }
    }

    @Test func aDownReceiverGetsEverythingInOrderWhenItReturns() async throws {
        let clock = ManualClock()
        try await withMailboxes(tune: Self.hourLongBackoff, nodeA: { Self.onManualClock(&$0, clock) }) { f in
            f.start(f.alpha)
            f.start(f.beta)
            try await f.alpha.transaction { turn in try turn.send(Ledger.credit("acct", 1, note: "first"), to: "beta") }
            try await f.eventually("first delivered and acked") {
                clock.advance(by: Self.backoff)  // if the first try came before beta's endpoint was up
                let applied = try await f.balance(f.betaDB, "acct") == 1
                let acked = try await f.pending(f.alphaDB) == 0
                return applied && acked
            }
            // Node b goes away for a few seconds.
            let port = f.b.boundAddress!.port
            await f.stop("beta")
            await f.b.shutdown()
            for i in 0..<40 {
                try await f.alpha.transaction { turn in
                    try turn.send(Ledger.credit("acct", 1, note: "\(i)"), to: "beta")
                }
            }
            // Alpha's relay fails and backs off, three times, and nothing is lost or sent meanwhile.
            for _ in 0..<3 {
                try await Self.relayBacksOff(clock)
                #expect(try await f.pending(f.alphaDB) == 40)
                clock.advance(by: Self.backoff)
            }
            // It returns on the same port, as a new incarnation with a new mailbox object.
            f.b = ClusterSystem(settings: TestSettings.cluster("b", port: port))
            try await f.b.start()
            f.b.addPeer(f.a.boundAddress!)
            let beta = MailboxFixture.makeMailbox("beta", f.betaDB, f.b, f.switches, f.tune)
            f.start(beta)
            try await f.eventually("all delivered") {
                clock.advance(by: Self.backoff)  // a's redial and alpha's next retry wait on the clock
                return try await f.balance(f.betaDB, "acct") == 41
            }
            #expect(try await f.applied(f.betaDB).map(\.note) == ["first"] + (0..<40).map { "\($0)" })
        }
    }

    // MARK: Time moved by the test

    /// Alpha's relay backs off for an hour after a failed delivery, so the test decides when it retries.
    static let backoff = Duration.seconds(3600)

    static let hourLongBackoff: @Sendable (inout Mailbox.Configuration) -> Void = { configuration in
        configuration.retryBackoff.initial = Self.backoff
        configuration.retryBackoff.maximum = Self.backoff
        configuration.retryBackoff.jitter = 0
    }

    /// Node a (alpha's) on `clock`; it never declares b dead by heartbeat however far the test moves it.
    static func onManualClock(_ settings: inout ClusterSystem.Settings, _ clock: ManualClock) {
        settings.clock = RuntimeClock(clock)
        settings.failureTimeout = .seconds(100 * 365 * 86_400)
    }

    /// Waits until alpha's relay sleeps in its backoff: it tried, failed, and will not try again on its own.
    static func relayBacksOff(_ clock: ManualClock) async throws {
        try await eventually("alpha's relay backs off") {
            let now = clock.now
            return clock.deadlines.contains(now.advanced(by: Self.backoff))
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
