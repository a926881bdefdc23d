import ActorRuntime
import Foundation
import Testing

@testable import ShopActors

@Suite struct ServiceHandlerTests {
    @Test func productsValidateOrFailWithTheOrderID() async throws {
        let product = try await ServiceHarness("product", handler: ProductHandler())
        let ok = try await product.deliver(
            Commands.ValidateProducts(
                orderID: "o-1",
                orderItems: [Item(productID: "product-1", quantity: 11), Item(productID: "product-12", quantity: 1)]))
        #expect(ok.map(\.type) == ["ProductsValidated"])
        let items = try ok[0].event(Events.ProductsValidated.self).orderItems
        #expect(items.map(\.price) == [10000, 10000])
        #expect(items[1].name == "product-11")  // the original's seed name
        // Seed bug: an unknown product used to emit nothing and stall the saga.
        let bad = try await product.deliver(
            Commands.ValidateProducts(
                orderID: "o-2",
                orderItems: [
                    Item(productID: "product-1", quantity: 1),
                    Item(productID: "nope'; DROP TABLE products;--", quantity: 1),
                ]))
        #expect(bad.map(\.type) == ["ProductsValidationFailed"])
        #expect(try bad[0].event(Events.ProductsValidationFailed.self).orderID == "o-2")
        #expect(try await product.int("SELECT count(*) AS n FROM products") == 6)
    }

    @Test func reservationIsAllOrNothingAndReleaseGivesBackExactlyOnce() async throws {
        let inventory = try await ServiceHarness("inventory", handler: InventoryHandler())
        func stock(_ product: String) async throws -> Int? {
            try await inventory.int("SELECT quantity AS n FROM inventory WHERE product_id = $1", [product])
        }
        // Seed bug: the first items' decrements used to commit although a later item failed.
        let failed = try await inventory.deliver(
            Commands.ReserveInventory(
                orderID: "o-1",
                orderItems: [
                    Item(productID: "product-1", quantity: 5), Item(productID: "product-2", quantity: 999_999),
                ]))
        #expect(failed.map(\.type) == ["InventoryReserveFailed"])
        #expect(try await stock("product-1") == 10000)
        #expect(try await stock("product-2") == 20000)
        let unknown = try await inventory.deliver(
            Commands.ReserveInventory(
                orderID: "o-2",
                orderItems: [Item(productID: "product-1", quantity: 1), Item(productID: "product-11", quantity: 1)]))
        #expect(unknown.map(\.type) == ["InventoryReserveFailed"])
        #expect(try await stock("product-1") == 10000)

        let reserved = try await inventory.deliver(
            Commands.ReserveInventory(
                orderID: "o-3",
                orderItems: [Item(productID: "product-1", quantity: 11), Item(productID: "product-3", quantity: 31)]))
        #expect(reserved.map(\.type) == ["InventoryReserved"])
        #expect(try await stock("product-1") == 9989)
        #expect(try await stock("product-3") == 29969)
        for _ in 0..<2 {  // a second release (a new command id) gives nothing back twice
            let released = try await inventory.deliver(Commands.ReleaseInventory(orderID: "o-3", orderItems: []))
            #expect(released.map(\.type) == ["InventoryReleased"])
        }
        #expect(try await stock("product-1") == 10000)
        #expect(try await stock("product-3") == 30000)
        // Releasing an order that reserved nothing is a successful no-op.
        #expect(
            try await inventory.deliver(Commands.ReleaseInventory(orderID: "o-1", orderItems: [])).map(\.type) == [
                "InventoryReleased"
            ])
        #expect(try await stock("product-2") == 20000)
    }

    @Test func paymentsCompleteFailAndRefund() async throws {
        let payment = try await ServiceHarness("payment", handler: PaymentHandler(sharedDemoMethods: true))
        let paid = try await payment.deliver(
            Commands.ProcessPayment(
                orderID: "o-1", userID: "u-1", paymentSum: 1_460_000, paymentMethodID: "method-1"))
        #expect(paid.map(\.type) == ["PaymentCompleted"])
        let completed = try paid[0].event(Events.PaymentCompleted.self)
        #expect(completed.paymentGateway == "sber")
        let external = completed.paymentExternalID
        // Seed bug: external_id was never stored.
        #expect(
            try await payment.client.query("SELECT external_id FROM payments WHERE order_id = 'o-1'").first?.string(
                "external_id") == external)
        // A repeated command for the same order does not charge twice.
        let again = try await payment.deliver(
            Commands.ProcessPayment(
                orderID: "o-1", userID: "u-1", paymentSum: 1_460_000, paymentMethodID: "method-1"))
        #expect(again.map(\.type) == ["PaymentCompleted"])
        #expect(try await payment.int("SELECT count(*) AS n FROM payments") == 1)

        #expect(
            try await payment.deliver(
                Commands.ProcessPayment(
                    orderID: "o-2", userID: "u-1", paymentSum: 10, paymentMethodID: "method-fail")
            ).map(\.type) == ["PaymentFailed"])
        // Seed bug: an unknown method used to stall the saga.
        let unknown = try await payment.deliver(
            Commands.ProcessPayment(
                orderID: "o-3", userID: "u-1", paymentSum: 10, paymentMethodID: "method-404"))
        #expect(unknown.map(\.type) == ["PaymentFailed"])
        #expect(try unknown[0].event(Events.PaymentFailed.self).error.contains("unknown payment method"))

        // Seed bug: RefundPayment was never handled.
        let refunded = try await payment.deliver(
            Commands.RefundPayment(paymentID: completed.paymentID, orderID: "o-1"))
        #expect(refunded.map(\.type) == ["PaymentRefunded"])
        #expect(
            try await payment.client.query("SELECT status FROM payments WHERE order_id = 'o-1'").first?.string("status")
                == "refunded")
    }

    @Test func ordersAreCreatedOnceAndNeverCompletedAfterCancel() async throws {
        let order = try await ServiceHarness("order", handler: OrderHandler())
        let items = [Item(productID: "product-1", quantity: 11), Item(productID: "product-2", quantity: 21)]
        for _ in 0..<2 {
            let created = try await order.deliver(
                Commands.CreateOrder(
                    orderID: "o-1", userID: "u-1", paymentMethodID: "method-1", orderItems: items))
            #expect(created.map(\.type) == ["OrderCreated"])
            #expect(try created[0].event(Events.OrderCreated.self).status == "created")
        }
        #expect(try await order.int("SELECT count(*) AS n FROM order_items") == 2)
        #expect(try await order.deliver(Commands.CancelOrder(orderID: "o-1")).map(\.type) == ["OrderCancelled"])
        _ = try await order.deliver(Commands.CompleteOrder(orderID: "o-1"))
        #expect(
            try await order.client.query("SELECT status FROM orders WHERE id = 'o-1'").first?.string("status")
                == "cancelled")
    }

    /// Found by the fault campaign: CompleteOrder answered after its deadline, the saga compensated (refund,
    /// stock back) and sent CancelOrder; the order must end cancelled, not stay completed.
    @Test func aCancelAfterALateCompleteCancels() async throws {
        let order = try await ServiceHarness("order", handler: OrderHandler())
        _ = try await order.deliver(
            Commands.CreateOrder(
                orderID: "o-2", userID: "u-1", paymentMethodID: "method-1",
                orderItems: [Item(productID: "product-1", quantity: 1)]))
        #expect(try await order.deliver(Commands.CompleteOrder(orderID: "o-2")).map(\.type) == ["OrderCompleted"])
        #expect(try await order.deliver(Commands.CancelOrder(orderID: "o-2")).map(\.type) == ["OrderCancelled"])
        #expect(
            try await order.client.query("SELECT status FROM orders WHERE id = 'o-2'").first?.string("status")
                == "cancelled")
    }
}
