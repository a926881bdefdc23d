import ActorRuntime
import ActorRuntimeTestSupport
import HTTPTestSupport
import Foundation
import NIOHTTP1
import Testing

@testable import ShopActors

/// `POST /api/orders` and `GET /api/orders/{id}`: every bad body is a 4xx JSON error that queues nothing.
@Suite struct OrderEndpointTests {
    /// Sends `body` as a new user's order and checks the answer is `status` naming `field`, and nothing was queued.
    func expectRefused(_ body: String, status: Int = 400, field: String?, headers: [(String, String)] = []) async throws
    {
        try await withSharedGateway { gateway, http in
            let (auth, userID, _) = try await gateway.newUser(http)
            let response = try await http.request(.POST, "/api/orders", headers: [auth] + headers, json: body)
            #expect(response.status == status, "\(body.prefix(100)): \(response.text)")
            let error = try response.error()
            #expect(error.success == false)
            #expect(!error.message.isEmpty)
            if let field { #expect(error.parameter == field, "\(response.text)") }
            let (orders, queued) = try await gateway.ordersOf(userID)
            #expect(orders == 0 && queued == 0)
        }
    }

    @Test func malformedJSONIs400() async throws {
        try await self.expectRefused(
            #"{"payment_method_id":"method-1","order_items":[{"product_id":"product-1","#, field: nil)
        try await self.expectRefused("\u{0}\u{1}garbage", field: nil)
        try await self.expectRefused("", field: nil)
    }

    @Test func wrongTypesAre400NamingTheField() async throws {
        try await self.expectRefused(
            #"{"payment_method_id":"method-1","order_items":[{"product_id":"product-1","quantity":"11"}]}"#,
            field: "order_items[0].quantity")
        try await self.expectRefused(#"{"payment_method_id":7,"order_items":[]}"#, field: "payment_method_id")
        try await self.expectRefused(
            #"{"payment_method_id":"method-1","order_items":{"product_id":"product-1"}}"#, field: "order_items")
        try await self.expectRefused(#"[1,2,3]"#, field: nil)
    }

    @Test func missingFieldsAre400NamingTheField() async throws {
        try await self.expectRefused(
            #"{"order_items":[{"product_id":"product-1","quantity":1}]}"#, field: "payment_method_id")
        try await self.expectRefused(#"{"payment_method_id":"method-1"}"#, field: "order_items")
        try await self.expectRefused(
            #"{"payment_method_id":"method-1","order_items":[{"quantity":1}]}"#, field: "order_items[0].product_id")
        try await self.expectRefused(
            #"{"payment_method_id":"","order_items":[{"product_id":"product-1","quantity":1}]}"#,
            field: "payment_method_id")
        try await self.expectRefused(#"{"payment_method_id":"method-1","order_items":[]}"#, field: "order_items")
    }

    @Test func quantitiesOutsideOneToTenThousandAre400() async throws {
        for quantity in [0, -1, 10_001] {
            try await self.expectRefused(
                #"{"payment_method_id":"method-1","order_items":[{"product_id":"product-1","quantity":\#(quantity)}]}"#,
                field: "order_items[0].quantity")
        }
    }

    @Test func aHugeBodyIs413() async throws {
        let padding = String(repeating: "x", count: 200_000)
        try await self.expectRefused(
            #"{"payment_method_id":"method-1","pad":"\#(padding)","order_items":[{"product_id":"product-1","quantity":1}]}"#,
            status: 413, field: nil)
    }

    @Test func sqlLookingStringsAre400AndTouchNothing() async throws {
        try await self.expectRefused(
            #"{"payment_method_id":"method-1","order_items":[{"product_id":"product-1'; DROP TABLE orders; --","quantity":1}]}"#,
            field: "order_items[0].product_id")
        try await self.expectRefused(
            #"{"payment_method_id":"' OR 1=1 --","order_items":[{"product_id":"product-1","quantity":1}]}"#,
            field: "payment_method_id")
        try await withSharedGateway { gateway, http in
            let (auth, _, _) = try await gateway.newUser(http)
            let status = try await http.request(.GET, "/api/my-orders?status=%27%20OR%201%3D1%20--", headers: [auth])
            #expect(status.status == 400)
            #expect(try status.error().parameter == "status")
            let products = try await http.request(
                .GET, "/api/products?category_id=cat-1%27%3B%20DROP%20TABLE%20products%3B--")
            #expect(products.status == 200)
            #expect(products.text == "{}\n")
            #expect(try await gateway.shop.query("product", "SELECT count(*) AS n FROM products").first?.int("n") == 6)
            #expect(try await http.request(.GET, "/api/orders/x'%20OR%20'1'='1", headers: [auth]).status == 404)
        }
    }

    @Test func tenConcurrentRequestsWithOneIdempotencyKeyMakeOneOrder() async throws {
        try await withSharedGateway { gateway, http in
            let (auth, userID, _) = try await gateway.newUser(http)
            let key = ("Idempotency-Key", UUID().uuidString)
            let body = #"{"payment_method_id":"method-1","order_items":[{"product_id":"product-2","quantity":1}]}"#
            let port = gateway.port
            let ids = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        let client = try await HTTPTestClient(port: port)
                        defer { Task { await client.close() } }
                        let response = try await client.request(.POST, "/api/orders", headers: [auth, key], json: body)
                        return (response.status, try? response.body(Gateway.OrderCreated.self).orderID)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(ids.allSatisfy { $0.0 == 200 })
            #expect(Set(ids.compactMap(\.1)).count == 1)
            let (orders, queued) = try await gateway.ordersOf(userID)
            #expect(orders == 1 && queued == 1)
            // The same key with another body is refused, and still creates nothing.
            let other = try await http.request(
                .POST, "/api/orders", headers: [auth, key],
                json: #"{"payment_method_id":"method-1","order_items":[{"product_id":"product-2","quantity":2}]}"#)
            #expect(other.status == 422)
            #expect(try await gateway.ordersOf(userID).orders == 1)
            // Without a key, a repeat is a new order (as in the original).
            #expect(try await http.request(.POST, "/api/orders", headers: [auth], json: body).status == 200)
            #expect(try await gateway.ordersOf(userID).orders == 2)
        }
    }

    @Test func anOrderShowsItsStatusAndTimelineToItsOwnerOnly() async throws {
        try await withSharedGateway { gateway, http in
            let (owner, _, _) = try await gateway.newUser(http)
            let (stranger, _, _) = try await gateway.newUser(http)
            let created = try await http.request(
                .POST, "/api/orders", headers: [owner],
                json: #"{"payment_method_id":"method-fail","order_items":[{"product_id":"product-3","quantity":1}]}"#)
            let orderID = try created.body(Gateway.OrderCreated.self).orderID
            var order: OrderDetail?
            try await eventually("the order shown compensated", every: .milliseconds(25)) {
                let response = try await http.request(.GET, "/api/orders/\(orderID)", headers: [owner])
                #expect(response.status == 200)
                order = try response.body(OrderDetailBody.self).order
                return order?.sagaStatus == "compensated" && order?.order.status == "order_cancelled"
            }
            let shown = try #require(order)
            #expect(shown.order.id == orderID)
            #expect(shown.order.status == "order_cancelled")
            #expect(shown.sagaStatus == "compensated")
            #expect(shown.timeline.map(\.command).contains("ProcessPayment"))
            #expect(shown.timeline.contains { $0.command == "ReleaseInventory" && $0.outcome == "completed" })
            let hidden = try await http.request(.GET, "/api/orders/\(orderID)", headers: [stranger])
            #expect(hidden.status == 404)
            #expect(try hidden.error().message == "Order not found")
            #expect(
                try await http.request(.GET, "/api/orders/\(UUID().uuidString.lowercased())", headers: [owner]).status
                    == 404)
        }
    }
}
