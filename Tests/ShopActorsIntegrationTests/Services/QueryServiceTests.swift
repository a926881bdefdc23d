import ActorRuntime
import ActorRuntimeTestSupport
import Foundation
import Testing

@testable import ShopActors

@Suite struct QueryServiceTests {
    @Test func queriesAnswerAcrossNodesWithTheOriginalShapes() async throws {
        try await withShop { shop in
            // Product lives on b; ask from a over TCP.
            let products = try ProductService.resolve(id: ActorID(node: "b", path: ProductService.path), using: shop.a)
            let categories = try await products.categories(PageRequest(page: 1, limit: 10))
            #expect(Set(categories.map(\.id)) == ["cat-1", "cat-2", "cat-3"])
            #expect(categories[0].createdAt.hasSuffix(" +0000 UTC"))
            let cat1 = try await products.products(categoryID: "cat-1", PageRequest(page: 1, limit: 10))
            #expect(cat1.count == 4)
            #expect(try await products.products(categoryID: "cat-1", PageRequest(page: 2, limit: 3)).count == 1)
            do {
                _ = try await products.categories(PageRequest(page: 0, limit: 10))
                Issue.record("expected a bad page to be refused")
            } catch let error as RuntimeError {
                #expect(error.remote?.code == "invalid_parameter")
                #expect(error.remote?.message == "page: must be 1 or more")
            }
            // capped, not refused
            #expect(try await products.categories(PageRequest(page: 1, limit: 100_000)).count == 3)

            let done = try await shop.placeOrder(
                user: "user-7", method: "method-1", items: [("product-1", 11), ("product-2", 21), ("product-3", 31)])
            let failed = try await shop.placeOrder(user: "user-7", method: "method-fail", items: [("product-1", 1)])
            _ = try await shop.waitForSaga(order: done)
            _ = try await shop.waitForSaga(order: failed)

            let history = try OrderHistoryService.resolve(
                id: ActorID(node: "a", path: OrderHistoryService.path), using: shop.b)
            var page = OrderPage(orders: [], total: 0)
            try await eventually("both orders final in history", every: .milliseconds(25)) {
                page = try await history.orders(OrderQuery(userID: "user-7"))
                return page.orders.allSatisfy { $0.status == "order_completed" || $0.status == "order_cancelled" }
                    && page.total == 2
            }
            #expect(page.total == 2)
            let completed = page.orders.first { $0.id == done }
            #expect(completed?.status == "order_completed")
            #expect(completed?.paymentSum == 1_460_000)
            #expect(page.orders.first { $0.id == failed }?.status == "order_cancelled")
            let onlyCompleted = try await history.orders(OrderQuery(userID: "user-7", status: "order_completed"))
            #expect(onlyCompleted.orders.map(\.id) == [done])
            #expect(
                try await history.orders(OrderQuery(userID: "user-7", from: Date().addingTimeInterval(3600))).total == 0
            )
            #expect(try await history.order(id: done, userID: "someone-else") == nil)
            #expect(try await history.order(id: done, userID: "user-7")?.id == done)
            await #expect(throws: RuntimeError.self) {
                try await history.orders(OrderQuery(userID: "user-7", status: "shipped"))
            }

            let sagas = try OrderSagaService.resolve(id: ActorID(node: "a", path: OrderSagaService.path), using: shop.b)
            let view = try await sagas.saga(orderID: failed)
            #expect(view?.status == "compensated")
            #expect(view?.timeline.map(\.command).contains("ReleaseInventory") == true)
            #expect(try await sagas.counts() == ["completed": 1, "compensated": 1])
        }
    }
}
