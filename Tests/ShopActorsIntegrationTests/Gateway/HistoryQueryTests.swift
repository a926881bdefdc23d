import ActorRuntime
import ActorRuntimeTestSupport
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
            var total = 0
            for _ in 0..<400 {
                let done = try await http.request(.GET, "/api/my-orders?status=order_completed", headers: [auth])
                let cancelled = try await http.request(.GET, "/api/my-orders?status=order_cancelled", headers: [auth])
                total = (try done.json()["total"] as? Int ?? 0) * 10 + (try cancelled.json()["total"] as? Int ?? 0)
                if total == 21 { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(total == 21)
            let all = try await http.request(.GET, "/api/my-orders?limit=1&page=2", headers: [auth]).json()
            #expect(all["total"] as? Int == 3)
            #expect((all["orders"] as? [Any])?.count == 1)
            let capped = try await http.request(.GET, "/api/my-orders?limit=100000", headers: [auth])
            #expect(capped.status == 200)
            #expect((try capped.json()["orders"] as? [Any])?.count == 3)
            let future = try await http.request(.GET, "/api/my-orders?from=2999-01-01", headers: [auth]).json()
            #expect(future["total"] as? Int == 0)
            #expect(future["orders"] is NSNull)  // null, as the original's empty list
            let past = try await http.request(.GET, "/api/my-orders?from=2000-01-01T00:00:00Z&to=2999-01-01", headers: [auth]).json()
            #expect(past["total"] as? Int == 3)
            let before = try await http.request(.GET, "/api/my-orders?to=2000-01-01", headers: [auth]).json()
            #expect(before["total"] as? Int == 0)
        }
    }

    @Test func badQueryValuesAre400NamingTheParameter() async throws {
        try await withSharedGateway { gateway, http in
            let (auth, _, _) = try await gateway.newUser(http)
            let cases = [
                ("/api/my-orders?limit=abc", "limit"), ("/api/my-orders?page=0", "page"), ("/api/my-orders?limit=-5", "limit"),
                ("/api/my-orders?status=shipped", "status"), ("/api/my-orders?from=yesterday", "from"),
                ("/api/my-orders?from=2025-02-01&to=2025-01-01", "from"), ("/api/categories?page=x", "page"),
                ("/api/products?page=1", "category_id"), ("/api/products?category_id=cat-1&limit=1.5", "limit"),
            ]
            for (path, parameter) in cases {
                let response = try await http.request(.GET, path, headers: [auth])
                #expect(response.status == 400, "\(path)")
                #expect(response.header("Content-Type") == "application/json")
                #expect(try response.json()["parameter"] as? String == parameter, "\(path): \(response.text)")
            }
        }
    }
}
