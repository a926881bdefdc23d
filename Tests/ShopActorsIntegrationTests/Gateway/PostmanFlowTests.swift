import ActorRuntimeTestSupport
import HTTPTestSupport
import Foundation
import NIOHTTP1
import Testing

@testable import ShopActors

/// The original's Postman collection, request by request, over real HTTP against a real two-node cluster.
@Suite struct PostmanFlowTests {
    @Test func theCollectionRunsUnchangedAndTheOrderCompletes() async throws {
        try await withGateway { gateway, http in
            let register = try await http.request(
                .POST, "/auth/register", json: #"{"name":"user1","email":"user1@example.com","password":"password"}"#)
            #expect(register.status == 200)
            #expect(register.header("Content-Type") == "application/json")
            let registered = try register.json()
            #expect(Set(registered.keys) == ["success", "message", "user_id"])
            #expect(registered["success"] as? Bool == true)
            #expect(registered["message"] as? String == "Registration successful")

            let login = try await http.request(
                .POST, "/auth/login", json: #"{"email":"user1@example.com","password":"password"}"#)
            #expect(login.status == 200)
            let loggedIn = try login.json()
            #expect(Set(loggedIn.keys) == ["success", "message", "user_id", "session_id"])
            #expect(loggedIn["message"] as? String == "Login successful")
            #expect(loggedIn["user_id"] as? String == registered["user_id"] as? String)
            let auth = ("Authorization", "Bearer \(try #require(loggedIn["session_id"] as? String))")

            let profile = try await http.request(.GET, "/auth/profile", headers: [auth])
            #expect(profile.status == 200)
            let me = try profile.json()
            #expect(Set(me.keys) == ["email", "logged_in", "name", "user_id"])
            #expect(me["email"] as? String == "user1@example.com")
            #expect(me["name"] as? String == "user1")
            #expect((me["logged_in"] as? String).flatMap(Timestamps.parse) != nil)

            let create = try await http.request(.POST, "/api/orders", headers: [auth], json: postmanOrder)
            #expect(create.status == 200)
            let created = try create.json()
            #expect(created["message"] as? String == "Order created")
            #expect(created["success"] as? Bool == true)
            let orderID = try #require(created["order_id"] as? String)

            var orders: [[String: Any]] = []
            for _ in 0..<400 {
                let page = try await http.request(.GET, "/api/my-orders?page=1&limit=10", headers: [auth])
                #expect(page.status == 200)
                let body = try page.json()
                #expect(body["success"] as? Bool == true)
                orders = body["orders"] as? [[String: Any]] ?? []
                if orders.first?["status"] as? String == "order_completed" {
                    #expect(body["total"] as? Int == 1)
                    break
                }
                try await Task.sleep(for: .milliseconds(25))
            }
            let order = try #require(orders.first)
            #expect(order["id"] as? String == orderID)
            #expect(order["status"] as? String == "order_completed")
            #expect(order["payment_sum"] as? Int == 1_460_000)
            #expect(order["payment_status"] as? String == "completed")
            #expect(order["payment_gateway"] as? String == "sber")
            #expect(order["payment_type"] as? String == "card")
            let items = try #require(order["order_items"] as? [[String: Any]])
            #expect(items.map { $0["product_id"] as? String } == ["product-1", "product-2", "product-3"])
            #expect(items.map { $0["quantity"] as? Int } == [11, 21, 31])
            #expect(items.map { $0["price"] as? Int } == [10000, 20000, 30000])
            // Go's time.Time.String() form, as the original sent.
            #expect((order["created_at"] as? String)?.hasSuffix(" +0000 UTC") == true)

            let categories = try await http.request(.GET, "/api/categories?page=1&limit=10")
            #expect(categories.status == 200)
            let categoryList = try #require(try categories.json()["categories"] as? [[String: Any]])
            #expect(Set(categoryList.compactMap { $0["id"] as? String }) == ["cat-1", "cat-2", "cat-3"])
            #expect(Set(categoryList.first?.keys.map { $0 } ?? []) == ["id", "name", "created_at"])

            let products = try await http.request(.GET, "/api/products?category_id=cat-1&page=1&limit=10")
            #expect(products.status == 200)
            let productList = try #require(try products.json()["products"] as? [[String: Any]])
            #expect(
                Set(productList.compactMap { $0["id"] as? String }) == [
                    "product-1", "product-11", "product-12", "product-13",
                ])
            #expect(
                Set(productList.first?.keys.map { $0 } ?? []) == ["id", "name", "price", "category_id", "created_at"])

            let logout = try await http.request(.POST, "/auth/logout", headers: [auth])
            #expect(logout.status == 200)
            #expect(try logout.json()["message"] as? String == "Logout successful")
            #expect(try await http.request(.GET, "/auth/profile", headers: [auth]).status == 401)

            #expect(try await gateway.shop.stock("product-1") == 9989)
            #expect(try await gateway.shop.stock("product-2") == 19979)
            #expect(try await gateway.shop.stock("product-3") == 29969)
            #expect(try await http.request(.GET, "/health").text == "OK")
        }
    }
}
