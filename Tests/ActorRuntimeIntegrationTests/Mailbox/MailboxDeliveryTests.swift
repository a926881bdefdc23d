import ActorRuntime
import ActorRuntimeTestSupport
import Foundation
import Synchronization
import Testing

@Suite struct MailboxDeliveryTests {
    @Test func messagesFlowFromOutboxToTheRemoteHandlerInOrder() async throws {
        try await withMailboxes { f in
            f.start(f.alpha)
            f.start(f.beta)
            for i in 0..<50 {
                try await f.alpha.transaction { turn in
                    try turn.send(Ledger.credit("acct", 1, note: "\(i)"), to: "beta")
                }
            }
            try await f.eventually("50 credits applied") { try await f.balance(f.betaDB, "acct") == 50 }
            #expect(try await f.applied(f.betaDB).map(\.note) == (0..<50).map { "\($0)" })
            try await f.eventually("outbox drained") { try await f.pending(f.alphaDB) == 0 }
        }
    }

    /// The relay's backoff after a failed delivery runs on the node's clock: with an hour's backoff, the
    /// message arrives as soon as the test moves node a's clock an hour on.
    @Test func aRelayRetriesAnAbsentReceiverWhenItsClockReachesTheBackoff() async throws {
        let clock = ManualClock()
        try await withMailboxes(
            tune: { configuration in
                configuration.retryBackoff.initial = .seconds(3600)
                configuration.retryBackoff.maximum = .seconds(3600)
                configuration.retryBackoff.jitter = 0
            },
            nodeA: { settings in
                settings.clock = RuntimeClock(clock)
                settings.failureTimeout = .seconds(86_400)  // moving the clock an hour must not cut the link
            }
        ) { f in
            f.start(f.alpha)  // beta is not running: delivering to it fails
            try await f.alpha.transaction { turn in try turn.send(Ledger.credit("acct", 5), to: "beta") }
            try await eventually("alpha's relay backs off for an hour") {
                clock.deadlines.contains(ManualClock.Instant(offset: .seconds(3600)))
            }
            f.start(f.beta)
            try await f.eventually("delivered once the clock moved on") {
                clock.advance(by: .seconds(3600))  // again if the retry came before beta's endpoint was up
                return try await f.balance(f.betaDB, "acct") == 5
            }
            #expect(try await f.applied(f.betaDB).count == 1)
        }
    }

    @Test func theSameMessageDeliveredFiveTimesTakesEffectOnce() async throws {
        try await withMailboxes { f in
            f.beta.registerEndpoint()
            let message = MailboxMessage(
                id: UUID().uuidString, type: "Credit", sagaID: nil,
                payload: #"{"account":"acct","amount":7}"#, source: "alpha")
            let endpoint = try MailboxEndpoint.resolve(
                id: ActorID(node: "b", path: MailboxEndpoint.path(for: "beta")), using: f.a)
            for round in 0..<5 {
                let report = try await endpoint.deliver(
                    DeliveryBatch(source: "alpha", destination: "beta", messages: [message]))
                #expect(report.accepted == 1)
                #expect(report.duplicates == (round == 0 ? 0 : 1))
            }
            #expect(try await f.balance(f.betaDB, "acct") == 7)
            #expect(try await f.applied(f.betaDB).count == 1)
        }
    }

    @Test func aFailingMessageIsIsolatedAndTheRestOfItsBatchCommits() async throws {
        try await withMailboxes { f in
            f.beta.registerEndpoint()
            var messages = (0..<20).map { index in
                MailboxMessage(
                    id: UUID().uuidString, type: "Credit", sagaID: nil,
                    payload: #"{"account":"acct","amount":1,"note":"\#(index)"}"#, source: "alpha")
            }
            let poison = MailboxMessage(
                id: "poison-\(UUID().uuidString)", type: "Poison", sagaID: nil, payload: "{}", source: "alpha")
            messages.insert(poison, at: 13)
            let batch = DeliveryBatch(source: "alpha", destination: "beta", messages: messages)
            let endpoint = try MailboxEndpoint.resolve(
                id: ActorID(node: "b", path: MailboxEndpoint.path(for: "beta")), using: f.a)
            let report = try await endpoint.deliver(batch)
            #expect(report.failed.map(\.messageID) == [poison.id])
            #expect(report.failed.first?.error.contains("poisoned message refused") == true)
            #expect(report.accepted == 20)
            #expect(try await f.balance(f.betaDB, "acct") == 20)
            // The failed one left no inbox row: once the handler is fixed, the same batch applies just it.
            f.switches.poison.store(false, ordering: .relaxed)
            let again = try await endpoint.deliver(batch)
            #expect(again.failed.isEmpty && again.accepted == 21 && again.duplicates == 20)
            #expect(try await f.balance(f.betaDB, "acct") == 20)
            #expect(try await f.applied(f.betaDB).filter { $0.note == "poison" }.count == 1)
        }
    }

    @Test func concurrentDeliveriesFromManySendersEachGetTheirOwnReport() async throws {
        try await withMailboxes { f in
            f.beta.registerEndpoint()
            let endpoint = try MailboxEndpoint.resolve(
                id: ActorID(node: "b", path: MailboxEndpoint.path(for: "beta")), using: f.a)
            // Seven senders' batches at once (they share turns while one runs); one carries a poison message,
            // an eighth repeats the first's messages and a ninth the poisoned one's.
            var batches = (0..<7).map { sender in
                DeliveryBatch(
                    source: "alpha", destination: "beta",
                    messages: (0..<10).map { index in
                        MailboxMessage(
                            id: UUID().uuidString, type: "Credit", sagaID: nil,
                            payload: #"{"account":"acct","amount":1,"note":"\#(sender)-\#(index)"}"#, source: "alpha")
                    })
            }
            let poison = MailboxMessage(
                id: "poison-\(UUID().uuidString)", type: "Poison", sagaID: nil, payload: "{}", source: "alpha")
            batches[3].messages.insert(poison, at: 4)
            batches.append(DeliveryBatch(source: "alpha", destination: "beta", messages: batches[0].messages))
            // A resend of the poisoned batch (as after a timed-out call): the failure must be reported to both
            // copies, or one copy's "duplicate" would acknowledge a message that never took effect.
            batches.append(DeliveryBatch(source: "alpha", destination: "beta", messages: batches[3].messages))
            let reports = try await withThrowingTaskGroup(of: (Int, DeliveryReport).self) { group in
                for (index, batch) in batches.enumerated() {
                    // A generous deadline: the poison batch's bisection re-runs handlers, slow on a loaded machine.
                    group.addTask {
                        (
                            index,
                            try await ClusterSystem.withCallTimeout(.seconds(60)) { try await endpoint.deliver(batch) }
                        )
                    }
                }
                return try await group.reduce(into: [Int: DeliveryReport]()) { $0[$1.0] = $1.1 }
            }
            for index in [1, 2, 4, 5, 6] {
                #expect(reports[index] == DeliveryReport(accepted: 10, duplicates: 0), "\(index)")
            }
            #expect(reports[3]?.failed.map(\.messageID) == [poison.id])
            #expect(reports[3]?.accepted == 10 && reports[8]?.accepted == 10)
            // Whichever of the two copies came first was new; the other was all duplicates.
            #expect(reports[0]?.accepted == 10 && reports[7]?.accepted == 10)
            #expect((reports[0]?.duplicates ?? 0) + (reports[7]?.duplicates ?? 0) == 10)
            #expect(reports[8]?.failed.map(\.messageID) == [poison.id])
            #expect((reports[3]?.duplicates ?? 0) + (reports[8]?.duplicates ?? 0) == 10)
            #expect(try await f.balance(f.betaDB, "acct") == 70)
            #expect(Set(try await f.applied(f.betaDB).compactMap(\.note)).count == 70)
        }
    }

    @Test func onlyTheNodeHostingABatchsSourceMayDeliverItAndClientsMayOnlyRead() async throws {
        try await withMailboxes { f in
            f.beta.registerEndpoint()
            let credit = { (source: String) in
                DeliveryBatch(
                    source: source, destination: "beta",
                    messages: [
                        MailboxMessage(
                            id: UUID().uuidString, type: "Credit", sagaID: nil,
                            payload: #"{"account":"forged","amount":1000}"#,
                            source: source)
                    ])
            }
            let fromA = try MailboxEndpoint.resolve(
                id: ActorID(node: "b", path: MailboxEndpoint.path(for: "beta")), using: f.a)
            // Node a hosts alpha, not beta: a batch in beta's name (or with a message claiming it) is refused.
            await #expect(throws: RuntimeError.self) { try await fromA.deliver(credit("beta")) }
            var mixed = credit("alpha")
            mixed.messages[0].source = "beta"
            await #expect(throws: RuntimeError.self) { try await fromA.deliver(mixed) }
            #expect(try await fromA.deliver(credit("alpha")).accepted == 1)

            // An operator client (it proved the secret) may read and replay, never deliver.
            var settings = TestSettings.cluster("operator")
            settings.role = .client
            let client = ClusterSystem(settings: settings)
            try await client.start()
            client.addPeer(f.b.boundAddress!)
            try await client.waitForMembers(["b"])
            let fromClient = try MailboxEndpoint.resolve(
                id: ActorID(node: "b", path: MailboxEndpoint.path(for: "beta")), using: client)
            do {
                _ = try await fromClient.deliver(credit("alpha"))
                Issue.record("a client delivered a batch")
            } catch let error as RuntimeError {
                #expect(error.remote?.code == "not_permitted", "\(error)")
            }
            #expect(try await fromClient.stats().service == "beta")
            await client.shutdown()
            #expect(try await f.balance(f.betaDB, "forged") == 1000)
        }
    }

    @Test func twoServicesOnOneDatabaseEachTakeTheSameEventOnce() async throws {
        try await withMailboxes { f in
            // gamma shares beta's database: an event published to both carries one id.
            let gamma = MailboxFixture.makeMailbox("gamma", f.betaDB, f.b, f.switches, { _ in })
            f.beta.registerEndpoint()
            gamma.registerEndpoint()
            let event = MailboxMessage(
                id: UUID().uuidString, type: "Credit", sagaID: nil, payload: #"{"account":"shared","amount":5}"#,
                source: "alpha")
            for service in ["beta", "gamma"] {
                let endpoint = try MailboxEndpoint.resolve(
                    id: ActorID(node: "b", path: MailboxEndpoint.path(for: service)), using: f.a)
                let batch = DeliveryBatch(source: "alpha", destination: service, messages: [event])
                #expect(try await endpoint.deliver(batch) == DeliveryReport(accepted: 1, duplicates: 0), "\(service)")
                // ... and a repeat is still a duplicate for each.
                #expect(try await endpoint.deliver(batch) == DeliveryReport(accepted: 1, duplicates: 1), "\(service)")
            }
            #expect(try await f.balance(f.betaDB, "shared") == 10)
        }
    }

    @Test func inboxRowsFromBeforeTheReceiverColumnBelongToTheDatabasesService() async throws {
        try await withMailboxes { f in
            f.beta.registerEndpoint()
            let id = UUID().uuidString
            // As migration 4 leaves a row written before it: no receiver yet.
            try await f.betaDB.query(
                "INSERT INTO inbox (receiver, message_id, source, message_type) VALUES ('', $1, 'alpha', 'Credit')",
                [id])
            try await MailboxSchema.migrate(service: "beta", client: f.betaDB, logger: TestSettings.quietLogger)
            let endpoint = try f.betaEndpoint()
            let batch = MailboxFixture.credit(id: id, account: "old", amount: 5)
            // Handled before the upgrade: still a duplicate after it.
            #expect(try await endpoint.deliver(batch) == DeliveryReport(accepted: 1, duplicates: 1))
            #expect(try await f.balance(f.betaDB, "old") == 0)
        }
    }

    @Test func deliveringEveryBatchTwiceChangesNothing() async throws {
        try await withMailboxes(tune: { $0.deliverTwice = true }) { f in
            f.start(f.alpha)
            f.start(f.beta)
            for i in 0..<30 {
                try await f.alpha.transaction { turn in
                    try turn.send(Ledger.credit("acct", 2, note: "\(i)"), to: "beta")
                }
            }
            try await f.eventually("outbox drained") { try await f.pending(f.alphaDB) == 0 }
            #expect(try await f.balance(f.betaDB, "acct") == 60)
            #expect(try await f.applied(f.betaDB).map(\.note) == (0..<30).map { "\($0)" })
        }
    }

    @Test func sqlLookingValuesRoundTripUnchanged() async throws {
        try await withMailboxes { f in
            f.start(f.alpha)
            f.start(f.beta)
            let nasty = #"x'); DROP TABLE accounts; -- "quoted" ; \ ✓"#
            try await f.alpha.transaction { turn in try turn.send(Ledger.credit(nasty, 5, note: nasty), to: "beta") }
            try await f.eventually("applied") { try await f.applied(f.betaDB).count == 1 }
            #expect(try await f.applied(f.betaDB).first?.note == nasty)
            #expect(try await f.balance(f.betaDB, nasty) == 5)
        }
    }

    @Test func eventsFanOutToEverySubscriberAtWriteTime() async throws {
        try await withMailboxes(tune: { $0.routes = MessageRoutes(["Credit": ["alpha", "beta"]]) }) { f in
            f.start(f.alpha)
            f.start(f.beta)
            try await f.beta.transaction { turn in
                let to = try turn.publish(Ledger.credit("shared", 3))
                #expect(Set(to) == ["alpha", "beta"])
            }
            try await f.eventually("both applied") {
                let alpha = try await f.balance(f.alphaDB, "shared")
                let beta = try await f.balance(f.betaDB, "shared")
                return alpha == 3 && beta == 3
            }
        }
    }

    @Test func handlersSendOnwardInTheirOwnTurn() async throws {
        try await withMailboxes { f in
            f.start(f.alpha)
            f.start(f.beta)
            // alpha → beta: "Relay" makes beta's turn send a Credit back to alpha.
            let relay = OutgoingMessage(type: "Relay", payload: #"{"account":"back","amount":4,"forwardTo":"alpha"}"#)
            try await f.alpha.transaction { turn in try turn.send(relay, to: "beta") }
            try await f.eventually("credit came back") { try await f.balance(f.alphaDB, "back") == 4 }
            #expect(try await f.balance(f.betaDB, "back") == 0)
        }
    }

    @Test func anOversizedPayloadIsRefusedAtTheSourceAndNothingIsQueued() async throws {
        try await withMailboxes { f in
            let huge = OutgoingMessage(type: "Credit", payload: "\"" + String(repeating: "x", count: 2 << 20) + "\"")
            do {
                try await f.alpha.transaction { turn in
                    try turn.send(Ledger.credit("acct", 1), to: "beta")
                    try turn.send(huge, to: "beta")
                }
                Issue.record("expected a refusal")
            } catch let error as RuntimeError {
                #expect(error.message.contains("limit"))
            }
            #expect(try await f.pending(f.alphaDB) == 0)  // the whole turn rolled back
        }
    }
}
