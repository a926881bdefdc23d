import ActorRuntime
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Logging
import NIOCore
import ServiceLifecycle

/// The shop's HTTP front door (Hummingbird): the original's routes and JSON, sessions in Postgres, orders
/// queued through the gateway's mailbox, reads answered by the other services over the cluster.
public final class Gateway: Service, Sendable {
    public typealias Context = GatewayRequestContext
    typealias Handler = @Sendable (Request, Context) async throws -> Response

    let configuration: GatewayConfiguration
    let db: PostgresClient
    let mailbox: Mailbox
    let backends: Backends
    let users: UserStore
    let sessions: SessionStore
    let hasher: PasswordHasher
    let limiter: LoginRateLimiter
    let metrics = GatewayMetrics()
    let intake: OrderIntake
    let admission: AdmissionControl
    let reconciler: OrderReconciler
    let sagaHistory = SagaHistory()
    let logger: Logger
    /// The clock sessions, rate limits and idempotency keys read.
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - db: the gateway's database, migrated (`ServiceSchema.migrate("gateway", ...)`).
    ///   - mailbox: the gateway service's mailbox; orders are queued through it.
    ///   - now: the wall clock; tests pass one they can move to expire sessions and rate-limit windows.
    public init(
        configuration: GatewayConfiguration, system: ClusterSystem, db: PostgresClient, mailbox: Mailbox,
        logger: Logger, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.now = now
        self.db = db
        self.mailbox = mailbox
        self.backends = Backends(
            system: system, directory: mailbox.configuration.directory, timeout: configuration.readTimeout)
        self.users = UserStore(db: db)
        self.sessions = SessionStore(db: db, lifetime: configuration.sessionLifetime, now: now)
        self.hasher = PasswordHasher(cost: configuration.bcryptCost)
        self.limiter = LoginRateLimiter(window: configuration.loginWindow, now: now)
        self.intake = OrderIntake(mailbox: mailbox, sessions: self.sessions)
        self.admission = AdmissionControl(limit: configuration.maxOrdersInFlight)
        self.reconciler = OrderReconciler(
            db: db, mailbox: mailbox, backends: self.backends, stuckAfter: configuration.stuckAfter, logger: logger)
        var logger = logger
        logger[metadataKey: "service"] = "gateway"
        self.logger = logger
    }

    public func run() async throws {
        try await self.run(onListening: { _ in })
    }

    /// Serves HTTP until graceful shutdown or cancellation; `onListening` gets the bound port, and
    /// `onOpsListening` the operations listener's (when it has one).
    public func run(
        onListening: @escaping @Sendable (Int) async -> Void,
        onOpsListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let logger = self.logger
        let separateOps = self.configuration.opsHost != nil
        let opsOnPublic = !separateOps && NodeAddress.isLoopback(self.configuration.host)
        if !separateOps && !opsOnPublic {
            logger.warning("no ops_http: /metrics and /ui are not served (the public listener is not on loopback)")
        }
        let app = Application(
            router: self.makeRouter(public: true, operations: opsOnPublic),
            configuration: .init(
                address: .hostname(self.configuration.host, port: self.configuration.port), serverName: "shop-gateway"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info(
                    "gateway listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
                await onListening(port)
            },
            logger: logger
        )
        let ops = self.configuration.opsHost.map { host in
            Application(
                router: self.makeRouter(public: false, operations: true),
                configuration: .init(
                    address: .hostname(host, port: self.configuration.opsPort), serverName: "shop-ops"),
                onServerRunning: { channel in
                    logger.info(
                        "operations listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
                    await onOpsListening(channel.localAddress?.port ?? 0)
                },
                logger: logger
            )
        }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.pruneSessions() }
            group.addTask { await self.sampleSagas() }
            group.addTask { await self.sampleInFlight() }
            group.addTask { await self.reconcileOrders() }
            if let ops { group.addTask { try await ops.run() } }
            try await app.run()
            group.cancelAll()
        }
    }

    /// The public API and/or the operations endpoints; a path that is not served is 404.
    func makeRouter(public: Bool = true, operations: Bool = true) -> Router<Context> {
        let router = Router(context: Context.self)
        let routes = self.routes(public: `public`, operations: operations)
        var table = RouteTable()
        for (method, path, _) in routes { table.add(method, path) }
        router.add(middleware: GatewayMiddleware(metrics: self.metrics, routes: table, logger: self.logger))
        for (method, path, handler) in routes {
            router.on(RouterPath(path), method: method) { request, context in try await handler(request, context) }
        }
        return router
    }

    /// Every route a listener serves: the public API, the operations endpoints, or both.
    func routes(public: Bool, operations: Bool) -> [(HTTPRequest.Method, String, Handler)] {
        var routes: [(HTTPRequest.Method, String, Handler)] = []
        if `public` {
            self.addAuthRoutes(to: &routes)
            self.addCatalogRoutes(to: &routes)
            self.addOrderRoutes(to: &routes)
            self.addPaymentMethodRoutes(to: &routes)
            self.addHealthRoute(to: &routes)
            self.addOpenAPIRoute(to: &routes)
        }
        if operations {
            if !`public` { self.addHealthRoute(to: &routes) }
            self.addOperationsRoutes(to: &routes)
            self.addDashboardRoutes(to: &routes)
        }
        return routes
    }

    /// Wraps a handler that needs a session: hummingbird-auth's authenticator middleware finds the session of
    /// `Authorization: Bearer <token>`; without a live one the answer is 401.
    func authenticated(_ handler: @escaping @Sendable (Request, Context, Session) async throws -> Response) -> Handler {
        let authenticator = BearerSessionAuthenticator(sessions: self.sessions)
        return { request, context in
            try await authenticator.handle(request, context: context) { request, context in
                guard let session = context.identity else { throw GatewayError.unauthorized }
                return try await handler(request, context, session)
            }
        }
    }

    /// The token of `Authorization: Bearer <token>`, or 401 when there is none of a plausible shape.
    static func bearerToken(_ request: Request) throws -> String {
        guard let token = BearerSessionAuthenticator.token(request) else { throw GatewayError.unauthorized }
        return token
    }

    /// Keeps the admission control's estimate of orders in flight fresh: unfinished sagas (asked of the saga
    /// service, which counts them in memory) plus `SagaCreateOrder` messages still in the gateway's outbox.
    private func sampleInFlight() async {
        guard self.admission.limit > 0 else { return }
        var sagas = 0
        while !Task.isCancelled {
            do {
                let mark = self.admission.beginSample()
                let queued = try await self.mailbox.pendingCount(
                    to: ShopService.owner(of: Commands.SagaCreateOrder.self))
                // While the saga service cannot be asked, its last count stands (its backlog is not shrinking).
                if let unfinished = try? await self.backends.call(
                    "order-saga", { try await self.backends.sagas().unfinished() })
                {
                    sagas = unfinished
                }
                self.admission.sample(inFlight: queued + sagas, since: mark)
            } catch {
                self.logger.debug("in-flight sample failed", metadata: ["error": "\(error)"])
            }
            do { try await Task.sleep(for: self.configuration.admissionSampleInterval) } catch { return }
        }
    }

    private func reconcileOrders() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: self.configuration.reconcileInterval) } catch { return }
            do {
                try await self.reconciler.run()
            } catch {
                self.logger.warning("order reconciliation failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// The admission figures with the reconciler's view of stuck and resolved orders.
    var ordersReport: AdmissionReport {
        var report = self.admission.report
        let summary = self.reconciler.current
        report.stuck = summary.stuck
        report.oldestStuckSeconds = summary.oldestSeconds
        report.stuckReason = summary.reason
        report.resolved = summary.resolved
        return report
    }

    private func pruneSessions() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: .seconds(600))
                let pruned = try await self.sessions.prune()
                if pruned > 0 { self.logger.info("pruned expired sessions", metadata: ["count": "\(pruned)"]) }
            } catch is CancellationError {
                return
            } catch {
                self.logger.warning("session pruning failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
