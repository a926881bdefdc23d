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
            #expect(Set(try register.json().keys) == ["success", "message", "user_id"])
            let registered = try register.body(Gateway.Registered.self)
            #expect(registered.success == true)
            #expect(registered.message == "Registration successful")

            let login = try await http.request(
                .POST, "/auth/login", json: #"{"email":"user1@example.com","password":"password"}"#)
            #expect(login.status == 200)
            #expect(Set(try login.json().keys) == ["success", "message", "user_id", "session_id"])
            let loggedIn = try login.body(Gateway.LoggedIn.self)
            #expect(loggedIn.message == "Login successful")
            #expect(loggedIn.userID == registered.userID)
            let auth = ("Authorization", "Bearer \(loggedIn.sessionID)")

            let profile = try await http.request(.GET, "/auth/profile", headers: [auth])
            #expect(profile.status == 200)
            #expect(Set(try profile.json().keys) == ["email", "logged_in", "name", "user_id"])
            let me = try profile.body(Gateway.Profile.self)
            #expect(me.email == "user1@example.com")
            #expect(me.name == "user1")
            #expect(Timestamps.parse(me.loggedIn) != nil)

            let create = try await http.request(.POST, "/api/orders", headers: [auth], json: postmanOrder)
            #expect(create.status == 200)
            let created = try create.body(Gateway.OrderCreated.self)
            #expect(created.message == "Order created")
            #expect(created.success == true)
            let orderID = created.orderID

            var orders: [HistoryOrder] = []
            try await eventually("the order completed in my-orders", every: .milliseconds(25)) {
                let page = try await http.request(.GET, "/api/my-orders?page=1&limit=10", headers: [auth])
                #expect(page.status == 200)
                let body = try page.body(Gateway.MyOrders.self)
                #expect(body.success == true)
                orders = body.orders ?? []
                guard orders.first?.status == "order_completed" else { return false }
                #expect(body.total == 1)
                return true
            }
            let order = try #require(orders.first)
            #expect(order.id == orderID)
            #expect(order.status == "order_completed")
            #expect(order.paymentSum == 1_460_000)
            #expect(order.paymentStatus == "completed")
            #expect(order.paymentGateway == "sber")
            #expect(order.paymentType == "card")
            #expect(order.orderItems.map(\.productID) == ["product-1", "product-2", "product-3"])
            #expect(order.orderItems.map(\.quantity) == [11, 21, 31])
            #expect(order.orderItems.map(\.price) == [10000, 20000, 30000])
            // Go's time.Time.String() form, as the original sent.
            #expect(order.createdAt.hasSuffix(" +0000 UTC") == true)

            let categories = try await http.request(.GET, "/api/categories?page=1&limit=10")
            #expect(categories.status == 200)
            let categoryList = try #require(try categories.body(Gateway.CategoryList.self).categories)
            #expect(Set(categoryList.map(\.id)) == ["cat-1", "cat-2", "cat-3"])
            let firstCategory = try #require((try categories.json()["categories"] as? [[String: Any]])?.first)
            #expect(Set(firstCategory.keys) == ["id", "name", "created_at"])

            let products = try await http.request(.GET, "/api/products?category_id=cat-1&page=1&limit=10")
            #expect(products.status == 200)
            let productList = try #require(try products.body(Gateway.ProductList.self).products)
            #expect(Set(productList.map(\.id)) == ["product-1", "product-11", "product-12", "product-13"])
            let firstProduct = try #require((try products.json()["products"] as? [[String: Any]])?.first)
            #expect(Set(firstProduct.keys) == ["id", "name", "price", "category_id", "created_at"])

            let logout = try await http.request(.POST, "/auth/logout", headers: [auth])
            #expect(logout.status == 200)
            #expect(try logout.body(Gateway.Done.self).message == "Logout successful")
            #expect(try await http.request(.GET, "/auth/profile", headers: [auth]).status == 401)

            #expect(try await gateway.shop.stock("product-1") == 9989)
            #expect(try await gateway.shop.stock("product-2") == 19979)
            #expect(try await gateway.shop.stock("product-3") == 29969)
            #expect(try await http.request(.GET, "/health").text == "OK")
        }
    }
}
