import ActorRuntime
import Distributed
import Logging
import ServiceLifecycle

/// One shop service running on a node: its mailbox (with the service's handler) and its query actor, made as
/// its `ShopService` entry says.
public final class ShopServiceHost: Service, Sendable {
    public let service: String
    public let mailbox: Mailbox
    /// Kept here because the actor registry holds actors weakly.
    private let queryActor: (any DistributedActor)?
    /// The HTTP side, on the service `gateway` when the node has an HTTP address.
    public let gateway: Gateway?
    private let handler: any MailboxHandler
    private let db: PostgresClient
    private let logger: Logger
    private let system: ClusterSystem
    /// Decides whether this node runs the service or stands by; nil: it always runs.
    public let lease: ServiceLease?

    /// The handler of `service` as its catalogue entry makes it, with the test-only fault switch applied.
    static func handler(for service: ShopService, options: ServiceOptions, logger: Logger) -> any MailboxHandler {
        var logger = logger
        logger[metadataKey: "service"] = "\(service.name)"
        let handler = service.makeHandler(options, logger)
        // The saga's own failures are its deadlines, not injected ones.
        guard !options.failingMessageTypes.isEmpty, !(handler is OrderSagaHandler) else { return handler }
        return FaultInjectingHandler(base: handler, failing: options.failingMessageTypes)
    }

    /// Creates the host; nothing runs until `run()`.
    ///
    /// - Parameters:
    ///   - service: the catalogue entry of the service (`ShopService.all`).
    ///   - directory: which nodes host each service.
    ///   - db: the service's database, already migrated (`ServiceSchema.migrate`).
    ///   - options: mailbox, saga, lease and payment configuration.
    ///   - http: for the gateway, where and how to serve HTTP (nil: no HTTP server).
    public init(
        service: ShopService, system: ClusterSystem, db: PostgresClient, directory: ServiceDirectory,
        options: ServiceOptions = ServiceOptions(), http: GatewayConfiguration? = nil, logger: Logger
    ) {
        self.service = service.name
        var configuration = Mailbox.Configuration(
            service: service.name, directory: directory, tuning: options.mailbox)
        configuration.routes = ShopService.routes
        configuration.leased = options.lease != nil
        var logger = logger
        logger[metadataKey: "node"] = "\(system.node)"
        let handler = Self.handler(for: service, options: options, logger: logger)
        self.handler = handler
        self.db = db
        self.logger = logger
        self.system = system
        self.lease = options.lease.map {
            ServiceLease(
                service: service.name, node: system.node, database: db.configuration, configuration: $0,
                logger: logger)
        }
        let mailbox = Mailbox(
            configuration: configuration, client: db, system: system, handler: handler, logger: logger)
        self.mailbox = mailbox
        let gateway = http.map { Gateway(configuration: $0, system: system, db: db, mailbox: mailbox, logger: logger) }
        self.gateway = gateway
        self.queryActor = service.makeQueryActor(
            ShopService.Parts(system: system, db: db, options: options, handler: handler, gateway: gateway))
    }

    /// Runs the service; under a lease, stands by until this node holds it, runs while it holds it, and stands
    /// by again when it is lost.
    ///
    /// The gateway's HTTP listener is not leased: it serves for as long as the node runs (its reads work on a
    /// standby, and its order intake answers 503 until the lease is held), so clients' connections are never
    /// cut by a failover.
    public func run() async throws {
        guard let gateway = self.gateway else { return try await self.runService() }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.runService() }
            group.addTask { try await gateway.run() }
        }
    }

    private func runService() async throws {
        guard let lease = self.lease else { return try await self.runActive() }
        try await self.runLeased(lease)
    }

    private func runLeased(_ lease: ServiceLease) async throws {
        self.mailbox.registerEndpoint()  // a standby answers deliveries with `standby`, and its stats
        // Gave the lease up for being cut off from every peer, and has not seen a peer since.
        var isolated = false
        while true {
            guard let holding = try? await cancelWhenGracefulShutdown({ try await lease.acquire() }) else { return }
            self.mailbox.activate(epoch: holding.epoch)
            enum End { case stopped, lost, isolated }
            let seenPeerFirst = isolated
            let end = try await withThrowingTaskGroup(of: End.self) { group in
                group.addTask {
                    do {
                        try await self.runActive()
                        return .stopped
                    } catch let error as PostgresError where error.isTransient {
                        // Its database went away under it (a restart): stand by and take the lease again.
                        self.logger.warning(
                            "stopped by its database", metadata: ["service": "\(self.service)", "error": "\(error)"])
                        return .lost
                    }
                }
                group.addTask {
                    await lease.watch()
                    return .lost
                }
                if self.mailbox.configuration.directory.nodes(for: self.service).count > 1 {
                    group.addTask {
                        // Half the lease timeout: with the transport's failure detection (3 s) a standby still
                        // takes over within the bound a dead holder's standby would.
                        await self.waitUntilCutOff(for: lease.configuration.timeout / 2, seenPeerFirst: seenPeerFirst)
                        return Task.isCancelled ? .stopped : .isolated
                    }
                }
                group.addTask {
                    // A turn that found a newer epoch deactivated the mailbox.
                    while self.mailbox.isActive, !Task.isCancelled { try? await Task.sleep(for: .milliseconds(200)) }
                    return .lost
                }
                let end = try await group.next() ?? .stopped
                group.cancelAll()
                return end
            }
            self.mailbox.deactivate()
            lease.release()
            guard end != .stopped, !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
            if end == .isolated {
                // Let a standby that still sees the cluster take over; if none does, this node takes the lease
                // back, and keeps it until it has seen a peer again (a lone survivor does not flap).
                isolated = true
                self.logger.warning(
                    "gives the lease up: no peer reachable",
                    metadata: [
                        "service": "\(self.service)", "for": "\(lease.configuration.timeout)",
                    ])
                try? await Task.sleep(for: lease.configuration.retryInterval * 3)
            } else {
                isolated = false
                self.logger.warning("stands by: the lease was lost", metadata: ["service": "\(self.service)"])
                try? await Task.sleep(for: lease.configuration.retryInterval)
            }
        }
    }

    /// Returns once this node has seen no peer up for `timeout`, or when cancelled. With `seenPeerFirst`, a
    /// peer must be seen up before the watch starts.
    private func waitUntilCutOff(for timeout: Duration, seenPeerFirst: Bool) async {
        var mustSeePeer = seenPeerFirst
        var alone: ContinuousClock.Instant?
        while !Task.isCancelled {
            if self.system.anyPeerUp {
                mustSeePeer = false
                alone = nil
            } else if !mustSeePeer {
                let since = alone ?? ContinuousClock.now
                alone = since
                if ContinuousClock.now - since >= timeout { return }
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    private func runActive() async throws {
        try await self.mailbox.run(with: self.handler, db: self.db, logger: self.logger)
    }
}
