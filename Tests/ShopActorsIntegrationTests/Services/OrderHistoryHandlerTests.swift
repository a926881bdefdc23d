import ActorRuntime
import Foundation
import Testing

@testable import ShopActors

@Suite struct OrderHistoryHandlerTests {
    static func created(_ order: String) -> Events.OrderCreated {
        Events.OrderCreated(
            orderID: order, userID: "u-1", paymentMethodID: "method-1", phone: "", email: "", status: "created",
            orderItems: [Item(productID: "product-1", quantity: 11), Item(productID: "product-2", quantity: 21)],
            createdAt: "2026-01-02T03:04:05Z", updatedAt: "2026-01-02T03:04:05Z")
    }

    @Test func theHappyPathEndsCompletedWithNamesPricesAndPayment() async throws {
        let history = try await ServiceHarness("order-history", handler: OrderHistoryHandler())
        try await history.deliverEvent(Self.created("o-1"))
        try await history.deliverEvent(
            Events.ProductsValidated(
                orderID: "o-1",
                orderItems: [
                    Item(productID: "product-1", name: "product-1", price: 10000),
                    Item(productID: "product-2", name: "product-2", price: 20000),
                ]))
        try await history.deliverEvent(Events.InventoryReserved(orderID: "o-1", orderItems: []))
        try await history.deliverEvent(
            Events.PaymentCompleted(
                paymentID: "p-1", orderID: "o-1", userID: "u-1", paymentSum: 530_000, paymentMethodID: "method-1",
                paymentExternalID: "ext-1", paymentType: "card", paymentGateway: "sber", paymentStatus: "completed"))
        try await history.deliverEvent(Events.OrderCompleted(orderID: "o-1", status: "completed"))
        let row = try await history.client.query(
            "SELECT *, order_items::text AS items FROM order_history WHERE id = 'o-1'"
        ).first!
        #expect(try row.string("status") == "order_completed")
        #expect(try row.int("payment_sum") == 530_000)
        #expect(try row.string("payment_external_id") == "ext-1")
        let items = try ShopJSON.decode([Item].self, from: try row.string("items"))
        #expect(
            items == [
                Item(productID: "product-1", quantity: 11, name: "product-1", price: 10000),
                Item(productID: "product-2", quantity: 21, name: "product-2", price: 20000),
            ])
    }

    @Test func failedOrdersEndCancelledAndLateEventsDoNotReopenThem() async throws {
        let history = try await ServiceHarness("order-history", handler: OrderHistoryHandler())
        try await history.deliverEvent(Self.created("o-2"))
        try await history.deliverEvent(
            Events.ProductsValidationFailed(orderID: "o-2", orderItems: [], error: "unknown product"))
        #expect(
            try await history.client.query("SELECT status FROM order_history").first?.string("status")
                == "products_validation_failed")
        try await history.deliverEvent(Events.OrderCancelled(orderID: "o-2", status: "cancelled"))
        try await history.deliverEvent(Events.InventoryReserved(orderID: "o-2", orderItems: []))  // late, out of order
        #expect(
            try await history.client.query("SELECT status FROM order_history").first?.string("status")
                == "order_cancelled")
    }

    @Test func aCancelledOrderIsNeverReopenedAndARefundStaysARefund() async throws {
        let history = try await ServiceHarness("order-history", handler: OrderHistoryHandler())
        try await history.deliverEvent(Self.created("o-9"))
        let paid = Events.PaymentCompleted(
            paymentID: "p-9", orderID: "o-9", userID: "u-1", paymentSum: 100, paymentMethodID: "method-1",
            paymentExternalID: "ext-9", paymentType: "card", paymentGateway: "sber", paymentStatus: "completed")
        try await history.deliverEvent(paid)
        try await history.deliverEvent(Events.PaymentRefunded(orderID: "o-9", paymentID: "p-9"))
        try await history.deliverEvent(Events.OrderCancelled(orderID: "o-9", status: "cancelled"))
        // A dead letter replayed late (a new message id, as `node deadletters replay` sends it again): no flip.
        try await history.deliverEvent(Events.OrderCompleted(orderID: "o-9", status: "completed"))
        try await history.deliverEvent(paid)
        let row = try await history.client.query("SELECT status, payment_status FROM order_history WHERE id = 'o-9'")
            .first!
        #expect(try row.string("status") == "order_cancelled")
        #expect(try row.string("payment_status") == "refunded")
    }

    @Test func eventsBeforeOrderCreatedAreParkedAndAppliedWhenItArrives() async throws {
        let history = try await ServiceHarness("order-history", handler: OrderHistoryHandler())
        // Events from product, inventory and payment overtake OrderCreated (different senders, different relays).
        let early = try await history.deliverEvent(
            Events.ProductsValidated(
                orderID: "o-3",
                orderItems: [
                    Item(productID: "product-1", name: "product-1", price: 10000),
                    Item(productID: "product-2", name: "product-2", price: 20000),
                ]))
        #expect(early.accepted == 1 && early.failed.isEmpty)  // accepted: nothing waits behind it
        try await history.deliverEvent(Events.InventoryReserved(orderID: "o-3", orderItems: []))
        #expect(try await history.int("SELECT count(*) AS n FROM order_history") == 0)
        #expect(try await history.int("SELECT count(*) AS n FROM early_events") == 2)
        try await history.deliverEvent(Self.created("o-3"))
        let row = try await history.client.query(
            "SELECT status, order_items::text AS items FROM order_history WHERE id = 'o-3'"
        ).first
        #expect(try row?.string("status") == "inventory_reserved")
        let items = try ShopJSON.decode([Item].self, from: try row?.string("items") ?? "[]")
        #expect(items.map(\.price) == [10000, 20000])
        #expect(try await history.int("SELECT count(*) AS n FROM early_events") == 0)
        // A final status that came early still wins over the statuses applied before it.
        try await history.deliverEvent(Events.OrderCompleted(orderID: "o-4", status: "completed"))
        try await history.deliverEvent(Self.created("o-4"))
        #expect(
            try await history.client.query("SELECT status FROM order_history WHERE id = 'o-4'").first?.string("status")
                == "order_completed")
    }
}
