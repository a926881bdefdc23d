import ActorRuntime
import ActorRuntimeTestSupport
import Foundation
import Testing

/// Two instances of one service on one database: only the lease holder runs, a silent holder loses the lease
/// after its timeout, and a turn under an old epoch changes nothing.
@Suite struct ServiceLeaseTests {
    static let configuration = ServiceLease.Configuration(timeout: .seconds(2), retryInterval: .milliseconds(100))

    func database() async throws -> PostgresClient {
        let client = TestPostgres.client(try await TestPostgres.freshDatabase("lease"))
        try await MailboxSchema.migrate(service: "beta", client: client, logger: TestSettings.quietLogger)
        return client
    }

    /// For a holder that must keep its lease while the whole suite loads the machine: a late ping (over half
    /// the timeout) loses it, so a 2 s timeout made a 1 s stall of the test server fail the test.
    static let patient = ServiceLease.Configuration(timeout: .seconds(6), retryInterval: .milliseconds(100))

    func lease(_ node: String, _ db: PostgresClient, _ configuration: ServiceLease.Configuration = Self.configuration)
        -> ServiceLease
    {
        ServiceLease(
            service: "beta", node: node, database: db.configuration, configuration: configuration,
            logger: TestSettings.quietLogger)
    }

    func holder(_ db: PostgresClient) async throws -> (node: String, epoch: Int, previous: String?)? {
        try await db.query("SELECT node, epoch, previous_node FROM service_lease WHERE service = 'beta'").first.map {
            (try $0.string("node"), try $0.int("epoch"), try $0.optionalString("previous_node"))
        }
    }

    @Test func aSecondInstanceStandsByUntilTheHolderLetsGoThenTakesTheNextEpoch() async throws {
        let db = try await self.database()
        defer { db.shutdown() }
        let first = self.lease("b1", db, Self.patient)
        let second = self.lease("b2", db, Self.patient)
        #expect(try await first.acquire().epoch == 1)
        let watching = Task { await first.watch() }
        let waiting = Task { try await second.acquire() }
        // The standby keeps asking and keeps being refused while the holder is alive and pinging.
        try await eventually("the standby refused ten times", timeout: .seconds(30)) { second.attempts >= 10 }
        #expect(try await self.holder(db)?.node == "b1")
        first.release()  // as a stopped or killed process: its session ends
        let taken = try await waiting.value
        #expect(taken.epoch == 2 && taken.previousNode == "b1")
        let row = try await self.holder(db)
        #expect(row?.node == "b2" && row?.epoch == 2 && row?.previous == "b1")
        await watching.value  // the old holder's watch ends: its session is gone
        second.release()
    }

    @Test func aHolderThatGoesSilentLosesTheLeaseAfterItsTimeout() async throws {
        let db = try await self.database()
        defer { db.shutdown() }
        let silent = self.lease("b1", db)
        _ = try await silent.acquire()
        // No pings (a frozen process, a cut network): the server ends the session after the timeout.
        let started = ContinuousClock.now
        let taken = try await self.lease("b2", db).acquire()
        let waited = ContinuousClock.now - started
        #expect(taken.epoch == 2)
        #expect(waited >= .seconds(1), "taken after \(waited), before the holder's timeout")
        // The old holder notices at its first ping.
        await silent.watch()
    }

    @Test func aTurnUnderAnOldEpochIsRefusedAndChangesNothing() async throws {
        try await withMailboxes(tune: { $0.leased = $0.service == "beta" }) { f in
            f.start(f.alpha)
            f.start(f.beta)
            try await f.alpha.transaction { turn in try turn.send(Ledger.credit("acct", 1, note: "one"), to: "beta") }
            // Standing by: a delivery is refused with `standby` (alpha's relay moves on and retries).
            let endpoint = try f.betaEndpoint()
            let probe = MailboxFixture.credit(id: "probe", account: "x", amount: 1)
            await #expect {
                _ = try await endpoint.deliver(probe)
            } throws: { error in
                (error as? RuntimeError)?.code == .standby || (error as? RuntimeError)?.remote?.code == "standby"
            }
            #expect(try await f.pending(f.alphaDB) == 1)
            #expect(try await f.balance(f.betaDB, "acct") == 0)
            try await f.betaDB.query(
                "INSERT INTO service_lease (service, node, epoch, acquired_at) VALUES ('beta', 'b', 1, now())")
            f.beta.activate(epoch: 1)
            try await f.eventually("delivered under epoch 1") { try await f.balance(f.betaDB, "acct") == 1 }
            // Another instance takes the lease (epoch 2) while this one still thinks it runs under epoch 1.
            try await f.betaDB.query("UPDATE service_lease SET epoch = 2, node = 'other' WHERE service = 'beta'")
            let two = Ledger.credit("acct", 10, note: "two")
            try await f.alpha.transaction { turn in try turn.send(two, to: "beta") }
            try await f.eventually("fenced") { !f.beta.isActive }
            #expect(try await f.balance(f.betaDB, "acct") == 1)
            #expect(try await f.applied(f.betaDB).map(\.note) == ["one"])
            // Still queued (the first may be too, if its acknowledgement timed out under load: it was applied once).
            #expect(
                try await f.alphaDB.query(
                    "SELECT count(*) AS n FROM outbox WHERE status = 0 AND message_id = $1", [two.id]
                ).first?.int("n") == 1)
            f.beta.activate(epoch: 2)  // as if this instance had taken the lease itself
            try await f.eventually("delivered under epoch 2") { try await f.balance(f.betaDB, "acct") == 11 }
            #expect(try await f.stats(f.beta).role == "active")
        }
    }
}

extension MailboxFixture {
    func stats(_ mailbox: Mailbox) async throws -> MailboxStats { try await mailbox.stats() }
}
