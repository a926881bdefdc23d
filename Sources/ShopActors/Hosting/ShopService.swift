import ActorRuntime
import Distributed
import Logging

/// One service of the shop as the cluster hosts it: its name (also its schema folder, `Schema/<name>/`), the
/// commands it owns, the events it subscribes to, how its handler and query actor are made, and where the
/// shipped layout puts it. Everything that lists services (config validation, the hosts, the benchmarks, the
/// tests' fixtures) reads `ShopService.all`; adding a service is a folder and an entry there.
public struct ShopService: Sendable {
    /// What a service's parts are made from on a node.
    public struct Parts: Sendable {
        public var system: ClusterSystem
        public var db: PostgresClient
        public var options: ServiceOptions
        /// The handler the mailbox runs (a query actor may share its state, as the saga's does).
        public var handler: any MailboxHandler
        /// The HTTP side, on the gateway's node when it serves HTTP.
        public var gateway: Gateway?
    }

    /// The service's name in `cluster.conf`, in `schema_migrations` and on the wire.
    public var name: String
    /// The node of the shipped three-node layout (`edge`, `orders`, `stock`) that hosts it.
    public var defaultNode: String
    /// The commands it handles; `Turn.send` routes each to its owner.
    public var commands: [any ShopCommand.Type]
    /// The events `Turn.publish` delivers to it.
    public var subscriptions: [any ShopEvent.Type]
    /// Its mailbox handler.
    public var makeHandler: @Sendable (_ options: ServiceOptions, _ logger: Logger) -> any MailboxHandler
    /// Its query actor, if it answers reads (kept alive by the host: the actor registry holds actors weakly).
    public var makeQueryActor: @Sendable (_ parts: Parts) -> (any DistributedActor)?

    /// The folder under `Schema/` that holds its migrations.
    public var schema: String { self.name }

    public init(
        name: String, defaultNode: String, commands: [any ShopCommand.Type] = [],
        subscriptions: [any ShopEvent.Type] = [],
        makeHandler: @escaping @Sendable (_ options: ServiceOptions, _ logger: Logger) -> any MailboxHandler,
        makeQueryActor: @escaping @Sendable (_ parts: Parts) -> (any DistributedActor)? = { _ in nil }
    ) {
        self.name = name
        self.defaultNode = defaultNode
        self.commands = commands
        self.subscriptions = subscriptions
        self.makeHandler = makeHandler
        self.makeQueryActor = makeQueryActor
    }
}

extension ShopService {
    /// Every service's name, in catalogue order.
    public static var names: [String] { Self.all.map(\.name) }

    public static func named(_ name: String) -> ShopService? { Self.byName[name] }

    private static let byName = Dictionary(uniqueKeysWithValues: Self.all.map { ($0.name, $0) })

    /// The shipped layout: each default node and the services it hosts, in catalogue order.
    public static var defaultPlacement: [(node: String, services: [String])] {
        var nodes: [String] = []
        var services: [String: [String]] = [:]
        for service in Self.all {
            if services[service.defaultNode] == nil { nodes.append(service.defaultNode) }
            services[service.defaultNode, default: []].append(service.name)
        }
        return nodes.map { ($0, services[$0]!) }
    }

    /// Subscribers per event type, from the catalogue's subscriptions.
    public static let routes = Self.routes(for: Self.all)

    /// Subscribers per event type of `services`, in catalogue order.
    public static func routes(for services: [ShopService]) -> MessageRoutes {
        var subscribers: [String: [String]] = [:]
        for service in services {
            for event in service.subscriptions { subscribers[event.eventType, default: []].append(service.name) }
        }
        return MessageRoutes(subscribers)
    }

    /// The service that owns each command type.
    static let owners: [String: String] = Dictionary(
        uniqueKeysWithValues: Self.all.flatMap { service in service.commands.map { ($0.commandType, service.name) } })

    /// The service that handles `command`.
    public static func owner<C: ShopCommand>(of command: C.Type) -> String {
        guard let owner = Self.owners[C.commandType] else {
            preconditionFailure("no service in ShopService.all handles \(C.commandType)")
        }
        return owner
    }
}
