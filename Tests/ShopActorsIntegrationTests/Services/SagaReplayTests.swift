import ActorRuntime
import ActorRuntimeTestSupport
import Foundation
import Testing

@testable import ShopActors

/// Replaying a saga's dead letters never applies a step after the saga has given it up.
@Suite struct SagaReplayTests {
    /// Parks `command` in the saga's outbox as a dead letter (as five failed deliveries would), returning its id.
    func deadLetter<C: ShopCommand>(_ shop: ShopFixture, _ command: C, sagaID: String)
        async throws -> Int64
    {
        Int64(
            try await shop.query(
                "order-saga",
                """
                INSERT INTO outbox (message_id, destination, message_type, saga_id, payload, status, attempts, last_error)
                VALUES ($1, $2, $3, $4, $5, 2, 5, 'could not extend file: No space left on device') RETURNING id
                """,
                [
                    UUID().uuidString.lowercased(), ShopService.owner(of: C.self), C.commandType, sagaID,
                    PostgresBytes(command.payloadBytes),
                ]
            ).first!.int("id"))
    }

    @Test func aFinishedSagasStepCommandIsRefusedAndItsCompensationReplays() async throws {
        try await withShop { shop in
            let order = try await shop.placeOrder(method: "method-fail", items: [("product-1", 2)])
            #expect(try await shop.waitForSaga(order: order) == "compensated")
            let sagaID = try await shop.query("order-saga", "SELECT id FROM sagas WHERE order_id = $1", [order]).first!
                .string("id")
            let stock = try await shop.stock("product-1")
            // A ProcessPayment (with a method that would pay) and a refund, both dead letters of this saga.
            let payment = try await self.deadLetter(
                shop,
                Commands.ProcessPayment(orderID: order, userID: "user-1", paymentSum: 20, paymentMethodID: "method-1"),
                sagaID: sagaID)
            let reserve = try await self.deadLetter(
                shop,
                Commands.ReserveInventory(orderID: order, orderItems: [Item(productID: "product-1", quantity: 2)]),
                sagaID: sagaID)
            _ = try await self.deadLetter(
                shop, Commands.RefundPayment(paymentID: "none", orderID: order), sagaID: sagaID)
            let report = try await shop.mailboxes["order-saga"]!.replay()
            #expect(report.replayed == 1)
            #expect(Set(report.refused.map(\.outboxID)) == [payment, reserve])
            #expect(report.refused.allSatisfy { $0.reason.contains("has finished (compensated)") }, "\(report.refused)")
            // The refund went out (a no-op); nothing was paid or reserved; the refused ones stay dead letters.
            try await eventually("the refund delivered") {
                try await shop.query("order-saga", "SELECT count(*) AS n FROM outbox WHERE status = 0").first!.int("n")
                    == 0
            }
            #expect(
                try await shop.query(
                    "payment", "SELECT count(*) AS n FROM payments WHERE order_id = $1 AND status = 'completed'",
                    [order]
                ).first!.int("n") == 0)
            #expect(try await shop.stock("product-1") == stock)
            #expect(
                try await shop.query("order-saga", "SELECT count(*) AS n FROM outbox WHERE status = 2").first!.int("n")
                    == 2)
            #expect(try await shop.sagaStatus(order: order) == "compensated")
        }
    }

    @Test func aStepCommandReplaysWhileItsSagaStillWaitsForIt() async throws {
        try await withShop { shop in
            await shop.stopService("payment")
            let order = try await shop.placeOrder(method: "method-1", items: [("product-1", 1)])
            #expect(try await shop.waitForStep(order: order, 3) == 3)
            let sagaID = try await shop.query("order-saga", "SELECT id FROM sagas WHERE order_id = $1", [order]).first!
                .string("id")
            _ = try await self.deadLetter(
                shop,
                Commands.ProcessPayment(orderID: order, userID: "user-1", paymentSum: 100, paymentMethodID: "method-1"),
                sagaID: sagaID)
            #expect(try await shop.mailboxes["order-saga"]!.replay() == ReplayReport(replayed: 1, refused: []))
            shop.startService("payment")
            #expect(try await shop.waitForSaga(order: order) == "completed")
            // The original and the replayed command: still one payment.
            #expect(
                try await shop.query("payment", "SELECT count(*) AS n FROM payments WHERE order_id = $1", [order])
                    .first!.int("n") == 1)
        }
    }
}
