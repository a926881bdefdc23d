import ActorRuntime
import ActorRuntimeTestSupport
import Distributed
import Foundation
import Testing

@testable import ShopActors

/// The whole shop on two nodes over real TCP: `a` hosts what the shipped layout puts on `edge` and `orders`
/// (gateway, order, order-saga, order-history); `b` what it puts on `stock` (product, inventory, payment). Every
/// service (from `ShopService.all`) has its own fresh database and a running mailbox.
final class ShopFixture: @unchecked Sendable {
    // Set up once in init; read-only afterwards.
    let a: ClusterSystem
    let b: ClusterSystem
    var clients: [String: PostgresClient] = [:]
    var mailboxes: [String: Mailbox] = [:]
    private var runs: [String: Task<Void, any Error>] = [:]
    private let handlers: [String: any MailboxHandler]
    private let tune: @Sendable (inout Mailbox.Configuration) -> Void
    /// The query actors, hosted where their services are (kept alive here: the registry holds them weakly).
    var queryActors: [any DistributedActor] = []

    static let placement = Dictionary(
        uniqueKeysWithValues: ShopService.all.map { ($0.name, $0.defaultNode == "stock" ? "b" : "a") })

    init(
        saga: OrderSagaHandler = OrderSagaHandler(),
        order: OrderHandler = OrderHandler(),
        sharedDemoMethods: Bool = true,
        tune: @escaping @Sendable (inout Mailbox.Configuration) -> Void = { _ in }
    ) async throws {
        self.a = ClusterSystem(settings: TestSettings.cluster("a"))
        self.b = ClusterSystem(settings: TestSettings.cluster("b"))
        try await self.a.start()
        try await self.b.start()
        self.a.addPeer(self.b.boundAddress!)
        self.b.addPeer(self.a.boundAddress!)
        try await self.a.waitForMembers(["b"])
        self.tune = tune
        var options = ServiceOptions()
        options.sharedDemoMethods = sharedDemoMethods
        // The catalogue's handlers, but the saga and order handlers a test configured.
        let given: [String: any MailboxHandler] = ["order-saga": saga, "order": order]
        var handlers: [String: any MailboxHandler] = [:]
        for service in ShopService.all {
            handlers[service.name] = given[service.name] ?? service.makeHandler(options, TestSettings.quietLogger)
            let url = try await TestPostgres.freshDatabase(EmbeddedPostgres.databaseName(for: service.name))
            let client = TestPostgres.client(url, poolSize: 2)
            try await ServiceSchema.migrate(service.name, client: client, logger: TestSettings.quietLogger)
            self.clients[service.name] = client
        }
        self.handlers = handlers
        for service in ShopService.names { self.startService(service) }
        for service in ShopService.all {
            let system = Self.placement[service.name] == "a" ? self.a : self.b
            let parts = ShopService.Parts(
                system: system, db: self.clients[service.name]!, options: options, handler: handlers[service.name]!,
                gateway: nil)
            if let actor = service.makeQueryActor(parts) { self.queryActors.append(actor) }
        }
    }

    /// Starts (or restarts, as a new process would) a service's mailbox on its node and database.
    func startService(_ service: String) {
        var configuration = Mailbox.Configuration(service: service, directory: ServiceDirectory(Self.placement))
        configuration.routes = ShopService.routes
        configuration.retryBackoff.initial = .milliseconds(20)
        configuration.retryBackoff.maximum = .milliseconds(300)
        self.tune(&configuration)
        let handler = self.handlers[service]!
        let mailbox = Mailbox(
            configuration: configuration, client: self.clients[service]!,
            system: Self.placement[service] == "a" ? self.a : self.b,
            handler: handler, logger: TestSettings.quietLogger)
        mailbox.registerEndpoint()
        self.mailboxes[service] = mailbox
        // As the service host runs it (the saga's deadlines read first, then swept beside the mailbox).
        let db = self.clients[service]!
        self.runs[service] = Task { try await mailbox.run(with: handler, db: db, logger: TestSettings.quietLogger) }
    }

    /// Stops a service: its relays stop and it takes no deliveries until started again.
    func stopService(_ service: String) async {
        guard let run = self.runs.removeValue(forKey: service) else { return }
        run.cancel()
        _ = await run.result
        self.mailboxes[service] = nil
    }

    /// Queues an order as the gateway does: a SagaCreateOrder through the gateway's outbox.
    @discardableResult
    func placeOrder(user: String = "user-1", method: String, items: [(String, Int)]) async throws -> String {
        let orderID = UUID().uuidString.lowercased()
        let command = Commands.SagaCreateOrder(
            orderID: orderID, userID: user, paymentMethodID: method,
            orderItems: items.map { Item(productID: $0.0, quantity: $0.1) })
        try await self.mailboxes["gateway"]!.transaction { turn in
            try turn.send(command, sagaID: nil)
        }
        return orderID
    }

    /// The saga's step once it reaches `step`.
    func waitForStep(order: String, _ step: Int) async throws -> Int {
        var current = -1
        try await eventually("the saga of \(order) at step \(step)", every: .milliseconds(25)) {
            current =
                try await self.query("order-saga", "SELECT current_step FROM sagas WHERE order_id = $1", [order]).first?
                .int("current_step") ?? -1
            return current == step
        }
        return current
    }

    func sagaStatus(order: String) async throws -> String? {
        try await self.clients["order-saga"]!.query("SELECT status FROM sagas WHERE order_id = $1", [order]).first?
            .string("status")
    }

    /// The saga's final status (`completed` or `compensated`) once it has one.
    func waitForSaga(order: String, timeout: Duration = .seconds(60)) async throws -> String {
        var status: String?
        do {
            try await eventually("the saga of \(order) finished", timeout: timeout, every: .milliseconds(25)) {
                status = try await self.sagaStatus(order: order)
                return status == "completed" || status == "compensated"
            }
        } catch {
            Issue.record("saga of \(order) not finished: \(status ?? "no saga row")")
            throw error
        }
        return status ?? ""
    }

    func stock(_ product: String) async throws -> Int? {
        try await self.clients["inventory"]!.query("SELECT quantity FROM inventory WHERE product_id = $1", [product])
            .first?.int("quantity")
    }

    @discardableResult
    func query(_ service: String, _ sql: String, _ parameters: [(any PostgresBindable)?] = []) async throws
        -> PostgresRows
    {
        try await self.clients[service]!.query(sql, parameters)
    }

    func shutdown() async {
        for run in self.runs.values { run.cancel() }
        for run in self.runs.values { _ = await run.result }
        await self.a.shutdown()
        await self.b.shutdown()
        for client in self.clients.values { client.shutdown() }
    }
}

func withShop(
    saga: OrderSagaHandler = OrderSagaHandler(),
    order: OrderHandler = OrderHandler(),
    tune: @escaping @Sendable (inout Mailbox.Configuration) -> Void = { _ in },
    _ body: (ShopFixture) async throws -> Void
) async throws {
    let shop = try await ShopFixture(saga: saga, order: order, tune: tune)
    do {
        try await body(shop)
    } catch {
        await shop.shutdown()
        throw error
    }
    await shop.shutdown()
}
