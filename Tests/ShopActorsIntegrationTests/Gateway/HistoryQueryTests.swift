import ActorRuntime
import ActorRuntimeTestSupport
import HTTPTestSupport
import Foundation
import NIOHTTP1
import Testing

@testable import ShopActors

@Suite struct HistoryQueryTests {
    @Test func myOrdersFiltersByStatusAndTimeAndCountsTheTotal() async throws {
        try await withSharedGateway { gateway, http in
            let (auth, _, _) = try await gateway.newUser(http)
            let good = #"{"payment_method_id":"method-1","order_items":[{"product_id":"product-3","quantity":1}]}"#
            let bad = #"{"payment_method_id":"method-fail","order_items":[{"product_id":"product-3","quantity":1}]}"#
            for body in [good, good, bad] {
                #expect(try await http.request(.POST, "/api/orders", headers: [auth], json: body).status == 200)
            }
            try await eventually("two completed and one cancelled", every: .milliseconds(25)) {
                let done = try await http.request(.GET, "/api/my-orders?status=order_completed", headers: [auth])
                let cancelled = try await http.request(.GET, "/api/my-orders?status=order_cancelled", headers: [auth])
                return try done.body(Gateway.MyOrders.self).total == 2
                    && cancelled.body(Gateway.MyOrders.self).total == 1
            }
            let all = try await http.request(.GET, "/api/my-orders?limit=1&page=2", headers: [auth])
                .body(Gateway.MyOrders.self)
            #expect(all.total == 3)
            #expect(all.orders?.count == 1)
            let capped = try await http.request(.GET, "/api/my-orders?limit=100000", headers: [auth])
            #expect(capped.status == 200)
            #expect(try capped.body(Gateway.MyOrders.self).orders?.count == 3)
            let future = try await http.request(.GET, "/api/my-orders?from=2999-01-01", headers: [auth])
            #expect(try future.body(Gateway.MyOrders.self).total == 0)
            #expect(try future.json()["orders"] is NSNull)  // null, not absent, as the original's empty list
            let past = try await http.request(
                .GET, "/api/my-orders?from=2000-01-01T00:00:00Z&to=2999-01-01", headers: [auth]
            ).body(Gateway.MyOrders.self)
            #expect(past.total == 3)
            let before = try await http.request(.GET, "/api/my-orders?to=2000-01-01", headers: [auth])
                .body(Gateway.MyOrders.self)
            #expect(before.total == 0)
        }
    }

    @Test func badQueryValuesAre400NamingTheParameter() async throws {
        try await withSharedGateway { gateway, http in
            let (auth, _, _) = try await gateway.newUser(http)
            let cases = [
                ("/api/my-orders?limit=abc", "limit"), ("/api/my-orders?page=0", "page"),
                ("/api/my-orders?limit=-5", "limit"),
                ("/api/my-orders?status=shipped", "status"), ("/api/my-orders?from=yesterday", "from"),
                ("/api/my-orders?from=2025-02-01&to=2025-01-01", "from"), ("/api/categories?page=x", "page"),
                ("/api/products?page=1", "category_id"), ("/api/products?category_id=cat-1&limit=1.5", "limit"),
                ("/api/my-orders?cursor=abc", "cursor"),
                ("/api/my-orders?cursor=x'%3B%20DROP%20TABLE%20order_history", "cursor"),
            ]
            for (path, parameter) in cases {
                let response = try await http.request(.GET, path, headers: [auth])
                #expect(response.status == 400, "\(path)")
                #expect(response.header("Content-Type") == "application/json")
                #expect(try response.error().parameter == parameter, "\(path): \(response.text)")
            }
        }
    }

    @Test func aCursorWalksEveryOrderOnceInTheSameOrderAsPages() async throws {
        try await withSharedGateway { gateway, http in
            let (auth, userID, _) = try await gateway.newUser(http)
            // 25 orders straight into order history (the read model), some with equal created_at.
            try await gateway.shop.query(
                "order-history",
                """
                INSERT INTO order_history (id, user_id, order_items, payment_method_id, status, created_at, updated_at)
                SELECT 'walk-' || lpad(g::text, 3, '0'), $1, '[]', 'method-1',
                    CASE WHEN g % 5 = 0 THEN 'order_cancelled' ELSE 'order_completed' END,
                    timestamp '2026-01-01' + (g / 2) * interval '1 second', now()
                FROM generate_series(1, 25) g
                """, [userID])
            // ...and their counts, as the handler's turns would have kept them.
            try await gateway.shop.query(
                "order-history",
                "INSERT INTO order_counts SELECT user_id, status, count(*) FROM order_history WHERE user_id = $1 GROUP BY 1, 2",
                [userID])
            var walked: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let path = "/api/my-orders?limit=10" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await http.request(.GET, path, headers: [auth]).body(Gateway.MyOrders.self)
                walked += (page.orders ?? []).map(\.id)
                // The total is counted on the first request only.
                #expect(page.total == (cursor == nil ? 25 : nil))
                cursor = page.nextCursor
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(walked.count == 25 && Set(walked).count == 25)
            var paged: [String] = []
            for number in 1...3 {
                let page = try await http.request(.GET, "/api/my-orders?limit=10&page=\(number)", headers: [auth])
                    .body(Gateway.MyOrders.self)
                paged += (page.orders ?? []).map(\.id)
                #expect((page.nextCursor != nil) == (number < 3))
            }
            #expect(walked == paged)
            #expect(walked.first == "walk-025" && walked.last == "walk-001")
            // A status filter walks only the matching orders.
            let first = try await http.request(.GET, "/api/my-orders?limit=3&status=order_cancelled", headers: [auth])
                .body(Gateway.MyOrders.self)
            let next = try #require(first.nextCursor)
            let second = try await http.request(
                .GET, "/api/my-orders?limit=3&status=order_cancelled&cursor=\(next)", headers: [auth]
            ).body(Gateway.MyOrders.self)
            let cancelled = ((first.orders ?? []) + (second.orders ?? [])).map(\.id)
            #expect(cancelled == ["walk-025", "walk-020", "walk-015", "walk-010", "walk-005"])
            #expect(second.nextCursor == nil)
        }
    }
}
