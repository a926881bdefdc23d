import ActorRuntime
import Logging

extension ShopService {
    /// The shop's services. Each event goes to the saga (which drives the order) and to order history (the read
    /// model); each command to the one service that lists it.
    public static let all: [ShopService] = [
        ShopService(
            name: "gateway", defaultNode: "edge",
            makeHandler: { _, _ in GatewayMailboxHandler() },
            makeQueryActor: { parts in
                parts.gateway.map { gateway in
                    parts.system.makeActor(path: GatewayService.path) {
                        GatewayService(actorSystem: parts.system, gateway: gateway)
                    }
                }
            }),
        ShopService(
            name: "order", defaultNode: "orders",
            commands: [Commands.CreateOrder.self, Commands.CompleteOrder.self, Commands.CancelOrder.self],
            makeHandler: { _, _ in OrderHandler() }),
        ShopService(
            name: "order-saga", defaultNode: "orders",
            commands: [Commands.SagaCreateOrder.self], subscriptions: Events.all,
            makeHandler: { options, logger in
                OrderSagaHandler(configuration: options.saga, logger: logger)
            },
            makeQueryActor: { parts in
                let deadlines = (parts.handler as? OrderSagaHandler)?.deadlines
                return parts.system.makeActor(path: OrderSagaService.path) {
                    OrderSagaService(actorSystem: parts.system, db: parts.db, deadlines: deadlines)
                }
            }),
        ShopService(
            name: "order-history", defaultNode: "orders", subscriptions: Events.all,
            makeHandler: { _, _ in OrderHistoryHandler() },
            makeQueryActor: { parts in
                parts.system.makeActor(path: OrderHistoryService.path) {
                    OrderHistoryService(actorSystem: parts.system, db: parts.db)
                }
            }),
        ShopService(
            name: "product", defaultNode: "stock", commands: [Commands.ValidateProducts.self],
            makeHandler: { _, _ in ProductHandler() },
            makeQueryActor: { parts in
                parts.system.makeActor(path: ProductService.path) {
                    ProductService(actorSystem: parts.system, db: parts.db)
                }
            }),
        ShopService(
            name: "inventory", defaultNode: "stock",
            commands: [Commands.ReserveInventory.self, Commands.ReleaseInventory.self],
            makeHandler: { _, _ in InventoryHandler() }),
        ShopService(
            name: "payment", defaultNode: "stock",
            commands: [Commands.ProcessPayment.self, Commands.RefundPayment.self],
            makeHandler: { options, _ in PaymentHandler(sharedDemoMethods: options.sharedDemoMethods) },
            makeQueryActor: { parts in
                let shared = parts.options.sharedDemoMethods
                return parts.system.makeActor(path: PaymentService.path) {
                    PaymentService(actorSystem: parts.system, db: parts.db, sharedDemoMethods: shared)
                }
            }),
    ]
}
