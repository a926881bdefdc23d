import ActorRuntime
import ActorRuntimeTestSupport
import Foundation
import Testing

@testable import ShopActors

@Suite struct OrderSagaTests {
    @Test func thePostmanOrderCompletes() async throws {
        try await withShop { shop in
            let order = try await shop.placeOrder(
                method: "method-1", items: [("product-1", 11), ("product-2", 21), ("product-3", 31)])
            #expect(try await shop.waitForSaga(order: order) == "completed")
            #expect(try await shop.stock("product-1") == 9989)
            #expect(try await shop.stock("product-2") == 19979)
            #expect(try await shop.stock("product-3") == 29969)
            let payment = try await shop.query(
                "payment", "SELECT amount, external_id, status FROM payments WHERE order_id = $1", [order])
            #expect(payment.count == 1)
            #expect(try payment.first?.int("amount") == 1_460_000)
            #expect(try payment.first?.optionalString("external_id") != nil)
            #expect(
                try await shop.query("order", "SELECT status FROM orders WHERE id = $1", [order]).first?.string(
                    "status") == "completed")
            // History reaches its final state shortly after the saga (it is another subscriber).
            var history: PostgresRow?
            try await eventually("history shows the order completed", every: .milliseconds(25)) {
                history = try await shop.query(
                    "order-history", "SELECT *, order_items::text AS items FROM order_history WHERE id = $1", [order]
                ).first
                return try history?.string("status") == "order_completed"
            }
            #expect(try history?.string("status") == "order_completed")
            #expect(try history?.int("payment_sum") == 1_460_000)
            #expect(try history?.string("payment_gateway") == "sber")
            let items = try ShopJSON.decode([Item].self, from: try history?.string("items") ?? "[]")
            #expect(items.map(\.name) == ["product-1", "product-2", "product-3"])
            #expect(items.map(\.price) == [10000, 20000, 30000])
            let timeline =
                try await shop.query("order-saga", "SELECT timeline AS t FROM sagas WHERE order_id = $1", [order])
                .first?.string("t") ?? ""
            #expect(timeline.split(separator: "\n").filter { $0.hasPrefix("S\t") }.count == 5, "\(timeline)")
            // Every step answered, so the finished saga has no deadline left to fire, and no timer message exists.
            let deadlines = try await shop.query(
                "order-saga", "SELECT count(*) AS n FROM sagas WHERE deadline_at IS NOT NULL")
            #expect(try deadlines.first?.int("n") == 0)
            #expect(
                try await shop.query("order-saga", "SELECT count(*) AS n FROM outbox WHERE not_before IS NOT NULL")
                    .first?.int("n") == 0)
        }
    }

    @Test func aFailingPaymentIsCompensatedInReverse() async throws {
        try await withShop { shop in
            let order = try await shop.placeOrder(method: "method-fail", items: [("product-1", 11), ("product-2", 21)])
            #expect(try await shop.waitForSaga(order: order) == "compensated")
            #expect(try await shop.stock("product-1") == 10000)
            #expect(try await shop.stock("product-2") == 20000)
            #expect(
                try await shop.query("order", "SELECT status FROM orders WHERE id = $1", [order]).first?.string(
                    "status") == "cancelled")
            #expect(
                try await shop.query("payment", "SELECT status FROM payments WHERE order_id = $1", [order]).first?
                    .string("status") == "failed")
        }
    }

    @Test(arguments: [
        ("method-1", [("product-404", 1)]),  // unknown product
        ("method-404", [("product-1", 2)]),  // unknown payment method
        ("method-1", [("product-1", 3), ("product-2", 50_000)]),  // one item over its stock
    ])
    func failuresEndCancelledWithStockUnchanged(method: String, items: [(String, Int)]) async throws {
        try await withShop { shop in
            let order = try await shop.placeOrder(method: method, items: items)
            #expect(try await shop.waitForSaga(order: order) == "compensated")
            #expect(try await shop.stock("product-1") == 10000)
            #expect(try await shop.stock("product-2") == 20000)
            #expect(
                try await shop.query("order", "SELECT status FROM orders WHERE id = $1", [order]).first?.string(
                    "status") == "cancelled")
            #expect(
                try await shop.query(
                    "payment", "SELECT count(*) AS n FROM payments WHERE order_id = $1 AND status = 'completed'",
                    [order]
                ).first?.int("n") == 0)
        }
    }
}

@Suite struct OrderSagaFaultTests {
    @Test func aStepThatNeverAnswersHitsItsDeadlineAndThePaymentIsRefunded() async throws {
        // Only the step that never answers has a short deadline: the others must not time out however loaded the CPU.
        let saga = OrderSagaHandler(
            stepDeadline: .seconds(120), compensationRetry: .milliseconds(100),
            commandDeadlines: [.completeOrder: .seconds(1)])
        try await withShop(saga: saga, order: OrderHandler(ignoresCompleteOrder: true)) { shop in
            let order = try await shop.placeOrder(method: "method-1", items: [("product-1", 2)])
            #expect(try await shop.waitForSaga(order: order) == "compensated")
            let timeline =
                try await shop.query("order-saga", "SELECT timeline AS t FROM sagas WHERE order_id = $1", [order])
                .first?.string("t") ?? ""
            #expect(
                try await shop.query("payment", "SELECT status FROM payments WHERE order_id = $1", [order]).first?
                    .string("status") == "refunded",
                "\(timeline)")
            #expect(try await shop.stock("product-1") == 10000)
            #expect(
                try await shop.query("order", "SELECT status FROM orders WHERE id = $1", [order]).first?.string(
                    "status") == "cancelled")
            let outcomes =
                try await shop.query("order-saga", "SELECT timeline AS t FROM sagas WHERE order_id = $1", [order])
                .first?.string("t") ?? ""
            #expect(outcomes.contains("timed_out"))
            #expect(outcomes.contains("RefundPayment"))
        }
    }

    @Test func everyMessageDeliveredTwiceGivesTheSameResult() async throws {
        try await withShop(tune: { $0.deliverTwice = true }) { shop in
            let order = try await shop.placeOrder(
                method: "method-1", items: [("product-1", 11), ("product-2", 21), ("product-3", 31)])
            #expect(try await shop.waitForSaga(order: order) == "completed")
            #expect(try await shop.stock("product-1") == 9989)
            #expect(try await shop.stock("product-3") == 29969)
            #expect(try await shop.query("payment", "SELECT count(*) AS n FROM payments").first?.int("n") == 1)
            #expect(try await shop.query("order", "SELECT count(*) AS n FROM order_items").first?.int("n") == 3)
        }
    }

    @Test func twoHundredConcurrentOrdersForAHundredUnits() async throws {
        try await withShop { shop in
            try await shop.query("inventory", "UPDATE inventory SET quantity = 100 WHERE product_id = 'product-1'")
            let orders = try await withThrowingTaskGroup(of: String.self) { group in
                for i in 0..<200 {
                    group.addTask {
                        try await shop.placeOrder(user: "user-\(i)", method: "method-1", items: [("product-1", 1)])
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            var outcomes: [String: Int] = [:]
            for order in orders {
                outcomes[try await shop.waitForSaga(order: order, timeout: .seconds(60)), default: 0] += 1
            }
            #expect(outcomes == ["completed": 100, "compensated": 100])
            #expect(try await shop.stock("product-1") == 0)
            #expect(
                try await shop.query("payment", "SELECT count(*) AS n FROM payments WHERE status = 'completed'").first?
                    .int("n") == 100)
        }
    }
}

@Suite struct OrderSagaOutageTests {
    @Test func theSagaWaitsForAnOfflinePaymentServiceAndCompletesWhenItReturns() async throws {
        try await withShop { shop in
            await shop.stopService("payment")
            let order = try await shop.placeOrder(method: "method-1", items: [("product-1", 3)])
            // The saga reaches the payment step and waits there (well inside its 30 s deadline).
            #expect(try await shop.waitForStep(order: order, 3) == 3)
            try await Task.sleep(for: .seconds(1))
            #expect(try await shop.sagaStatus(order: order) == "running")
            shop.startService("payment")
            #expect(try await shop.waitForSaga(order: order) == "completed")
            #expect(
                try await shop.query("payment", "SELECT count(*) AS n FROM payments WHERE order_id = $1", [order])
                    .first?.int("n") == 1)
        }
    }

    @Test func aRestartedSagaServiceResumesWhereItStopped() async throws {
        try await withShop { shop in
            await shop.stopService("product")  // hold the saga at step 1
            let order = try await shop.placeOrder(method: "method-1", items: [("product-2", 2)])
            #expect(try await shop.waitForStep(order: order, 1) == 1)
            // The saga's process goes away; its state is only its row and its queued messages.
            await shop.stopService("order-saga")
            shop.startService("product")
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await shop.sagaStatus(order: order) == "running")
            shop.startService("order-saga")  // a new process on the same database
            #expect(try await shop.waitForSaga(order: order) == "completed")
            #expect(try await shop.stock("product-2") == 19998)
        }
    }
}

@Suite struct OrderSagaCompensationRetryTests {
    @Test func aCompensationThatGetsNoAnswerIsRetriedUntilItSucceeds() async throws {
        // Forward steps never time out however loaded the CPU; an unanswered ReleaseInventory is resent every second.
        let saga = OrderSagaHandler(
            stepDeadline: .seconds(120), compensationRetry: .milliseconds(100),
            commandDeadlines: [.releaseInventory: .seconds(1)])
        try await withShop(saga: saga) { shop in
            await shop.stopService("payment")
            let order = try await shop.placeOrder(method: "method-fail", items: [("product-3", 5)])
            #expect(try await shop.waitForStep(order: order, 3) == 3)
            #expect(try await shop.stock("product-3") == 29995)
            // Payment comes back (and fails), but inventory is gone when ReleaseInventory is sent.
            await shop.stopService("inventory")
            shop.startService("payment")
            // Wait until ReleaseInventory has gone unanswered and been resent, however long the load makes that.
            var timeline = ""
            do {
                try await eventually("ReleaseInventory resent", every: .milliseconds(50)) {
                    timeline =
                        try await shop.query(
                            "order-saga", "SELECT timeline AS t FROM sagas WHERE order_id = $1", [order]
                        ).first?.string("t") ?? ""
                    return timeline.components(separatedBy: "ReleaseInventory").count > 3
                }
            } catch {
                Issue.record("timeline: \(timeline)")
                throw error
            }
            #expect(try await shop.sagaStatus(order: order) == "compensating")
            shop.startService("inventory")
            #expect(try await shop.waitForSaga(order: order) == "compensated")
            #expect(try await shop.stock("product-3") == 30000)  // given back exactly once despite the resends
        }
    }
}
