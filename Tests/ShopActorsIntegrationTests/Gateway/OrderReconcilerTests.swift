import ActorRuntime
import ActorRuntimeTestSupport
import HTTPTestSupport
import Foundation
import NIOHTTP1
import Testing

@testable import ShopActors

/// Every accepted order ends somewhere visible: confirmed once its saga exists, shown as stuck (with age and
/// reason) while its saga cannot be reached, and resolved as cancelled when its saga can never start.
@Suite struct OrderReconcilerTests {
    @Test func anOrderWhoseSagaCannotStartIsShownStuckThenResolvedAndNeverReplayed() async throws {
        try await withGateway(configure: {
            $0.stuckAfter = .milliseconds(300)
            $0.reconcileInterval = .milliseconds(100)
        }) { gateway, http in
            let (auth, _, _) = try await gateway.newUser(http)
            let body = #"{"payment_method_id":"method-1","order_items":[{"product_id":"product-1","quantity":1}]}"#
            // One order goes through: the reconciler confirms it.
            let fine = try await http.request(.POST, "/api/orders", headers: [auth], json: body)
                .body(Gateway.OrderCreated.self).orderID
            try await eventually("the first order confirmed") {
                try await gateway.shop.query("gateway", "SELECT saga_seen FROM orders WHERE id = $1", [fine]).first!
                    .bool("saga_seen")
            }
            // With the saga service down, the next one is stuck: its SagaCreateOrder waits in the outbox.
            await gateway.shop.stopService("order-saga")
            let orderID = try await http.request(.POST, "/api/orders", headers: [auth], json: body)
                .body(Gateway.OrderCreated.self).orderID
            try await eventually("the order shown stuck") { gateway.gateway.ordersReport.stuck == 1 }
            let stuck = gateway.gateway.ordersReport
            #expect(
                stuck.stuckReason?.contains("not delivered yet") == true, "\(String(describing: stuck.stuckReason))")
            #expect(stuck.oldestStuckSeconds >= 0.3)
            let metrics = try await http.request(.GET, "/metrics")
            #expect(metrics.text.contains("shop_orders_stuck 1"), "\(metrics.text.prefix(500))")
            // Its SagaCreateOrder becomes a dead letter (as after five refusals): the order is resolved.
            try await gateway.shop.query(
                "gateway",
                "UPDATE outbox SET status = 2, attempts = 5, last_error = 'saga refused it' WHERE message_type = 'SagaCreateOrder'"
            )
            try await eventually("the order resolved") { gateway.gateway.ordersReport.resolved == 1 }
            #expect(gateway.gateway.ordersReport.stuck == 0)
            let order = try await http.request(.GET, "/api/orders/\(orderID)", headers: [auth])
                .body(OrderDetailBody.self).order
            #expect(order.order.status == "order_cancelled")
            #expect(order.resolution?.contains("saga refused it") == true, "\(order)")
            // Replaying that dead letter would start a saga for an order its client was told failed: refused.
            let replay = try await gateway.shop.mailboxes["gateway"]!.replay()
            #expect(replay.replayed == 0 && replay.refused.count == 1, "\(replay)")
            #expect(replay.refused.first?.reason.contains("was resolved") == true)
            gateway.shop.startService("order-saga")
            #expect(try await gateway.shop.sagaStatus(order: orderID) == nil)
        }
    }
}
