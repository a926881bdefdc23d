import ActorRuntime
import Testing

@testable import ShopActors

/// The catalogue is the one list of services: routes, owners, the default layout and schemas come from it.
@Suite struct ShopServiceCatalogueTests {
    @Test func everyEventGoesToTheSagaAndToHistory() {
        for event in Events.all {
            #expect(ShopService.routes.subscribers(of: event.eventType) == ["order-saga", "order-history"])
        }
        #expect(ShopService.routes.subscribers(of: Commands.CreateOrder.commandType).isEmpty)
    }

    @Test func everyCommandHasExactlyOneOwner() {
        let owned = ShopService.all.flatMap(\.commands).map { $0.commandType }
        #expect(owned.sorted() == Commands.all.map { $0.commandType }.sorted())
        #expect(ShopService.owner(of: Commands.SagaCreateOrder.self) == "order-saga")
        #expect(ShopService.owner(of: Commands.ProcessPayment.self) == "payment")
        #expect(ShopService.owner(of: Commands.ValidateProducts.self) == "product")
        #expect(ShopService.owner(of: Commands.CancelOrder.self) == "order")
        // The saga's commands go where their types say.
        #expect(
            OrderSaga.Command.allCases.map { $0.name } == [
                "CreateOrder", "ValidateProducts", "ReserveInventory", "ProcessPayment", "CompleteOrder", "CancelOrder",
                "ReleaseInventory", "RefundPayment",
            ])
    }

    @Test func theDefaultLayoutIsTheShippedOne() {
        let layout = ShopService.defaultPlacement.map { "\($0.node): \($0.services.joined(separator: ","))" }
        #expect(
            layout == ["edge: gateway", "orders: order,order-saga,order-history", "stock: product,inventory,payment"])
        #expect(Set(ShopService.names).count == ShopService.all.count)
    }

    @Test func everyServiceHasASchemaFolder() throws {
        for service in ShopService.all { #expect(try !ServiceSchema.migrations(for: service.schema).isEmpty) }
    }

    /// What a newcomer writes for a notifications service: one entry, and its subscription is a route.
    @Test func aNewEntrysSubscriptionsBecomeRoutes() {
        struct Ignore: MailboxHandler {
            func handle(_ message: MailboxMessage, in turn: inout Turn) throws {}
        }
        let notifications = ShopService(
            name: "notifications", defaultNode: "orders", subscriptions: [Events.OrderCompleted.self],
            makeHandler: { _, _ in Ignore() })
        let routes = ShopService.routes(for: ShopService.all + [notifications])
        #expect(
            routes.subscribers(of: Events.OrderCompleted.eventType) == ["order-saga", "order-history", "notifications"])
        #expect(routes.subscribers(of: Events.OrderCreated.eventType) == ["order-saga", "order-history"])
    }
}
