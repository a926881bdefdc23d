import ActorRuntimeTestSupport
import Foundation
import Testing

@testable import ActorRuntime
@testable import ShopActors

/// Order history under READ COMMITTED: an event that overtakes its order's `OrderCreated` is parked, and the
/// turn that creates the order applies it. Two turns committing at the same moment (one parking, one
/// creating) must not miss each other: both take the order's lock first.
@Suite struct EarlyEventRaceTests {
    @Test func aParkedEventAndItsOrderCreatedCommittingTogetherNeverMissEachOther() async throws {
        let url = try await TestPostgres.freshDatabase("history_race_\(UInt32.random(in: 0...UInt32.max))")
        let client = TestPostgres.client(url, poolSize: 4)
        defer { client.shutdown() }
        try await ServiceSchema.migrate("order-history", client: client, logger: TestSettings.quietLogger)
        let handler = OrderHistoryHandler()
        let item = Item(productID: "product-1", quantity: 1)

        /// One handler turn on its own connection and transaction, as a receiving mailbox runs it.
        @Sendable func turn(_ message: MailboxMessage) async throws {
            try await client.transaction { connection in
                var turn = Turn(connection: connection, service: "order-history", routes: MessageRoutes())
                try handler.handle(batch: [message], in: &turn)
            }
        }

        for _ in 0..<40 {
            let orderID = UUID().uuidString.lowercased()
            let created = MailboxMessage(
                id: UUID().uuidString, type: Events.OrderCreated.eventType, sagaID: "s",
                payload: Events.OrderCreated(
                    orderID: orderID, userID: "u", paymentMethodID: "method-1", phone: "", email: "", status: "created",
                    orderItems: [item], createdAt: "", updatedAt: ""
                ).payloadBytes,
                source: "order")
            let validated = MailboxMessage(
                id: UUID().uuidString, type: Events.ProductsValidated.eventType, sagaID: "s",
                payload: Events.ProductsValidated(
                    orderID: orderID,
                    orderItems: [Item(productID: "product-1", quantity: 1, name: "Product 1", price: 100)]
                ).payloadBytes,
                source: "product")
            async let first: Void = turn(created)
            async let second: Void = turn(validated)
            _ = try await (first, second)
            let status = try await client.query("SELECT status FROM order_history WHERE id = $1", [orderID]).first?
                .string("status")
            #expect(status == "products_validated", "\(orderID)")
            let parked = try await client.query("SELECT count(*) AS n FROM early_events WHERE order_id = $1", [orderID])
                .first!.int("n")
            #expect(parked == 0, "\(orderID)")
        }
    }
}
