import Distributed
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A `DistributedActorSystem` whose nodes talk over compressed, length-prefixed, authenticated TCP.
///
/// Each node hosts distributed actors; a call on an actor of another node becomes a `call` frame on the one
/// connection to that node, and its reply resolves the caller. Calls to local actors never touch the network.
///
/// Life cycle: `start()` binds and begins connecting to the peers; `shutdown()` stops accepting, lets in-flight
/// inbound calls finish (up to `Settings.shutdownGracePeriod`), tells peers goodbye, fails pending calls with
/// `.shuttingDown` and closes every connection. As a `Service`, `run()` does both around a graceful shutdown.
public final class ClusterSystem: DistributedActorSystem, Service, Sendable {
    public typealias ActorID = ActorRuntime.ActorID
    public typealias InvocationEncoder = ClusterInvocationEncoder
    public typealias InvocationDecoder = ClusterInvocationDecoder
    public typealias ResultHandler = ClusterResultHandler
    public typealias SerializationRequirement = any Codable

    public let settings: Settings
    /// Random per process start: peers see a new value after a restart.
    public let incarnation: UInt64
    public let transportStats = TransportStats()
    let startedAtMillis: Int64
    let startedAtUptime = NIODeadline.now()
    let group: any EventLoopGroup
    let log: Logger
    var serialization: Serialization { Serialization(system: self) }

    let registry = Mutex<[String: WeakActorRef]>([:])
    /// Methods registered with `registerDirectMethod`, by the name `RemoteCallTarget` prints.
    let directMethods = Mutex<[String: DirectMethod]>([:])
    let membership: Mutex<Membership>
    let lifecycle = Mutex<Lifecycle>(.idle)
    private let nextCallID = Atomic<UInt64>(0)
    private let nextActorNumber = Atomic<UInt64>(0)

    let inFlightCalls = Atomic<Int>(0)
    /// Accepted connections that have not completed their handshake (capped by `maxPendingHandshakes`).
    let pendingHandshakes = Atomic<Int>(0)
    /// Every open connection, including those still in their handshake, so that shutdown closes them all.
    let openChannels = Mutex<[ObjectIdentifier: any Channel]>([:])
    let controlCommands: AsyncStream<ControlCommand>
    let controlContinuation: AsyncStream<ControlCommand>.Continuation

    enum ControlCommand: Sendable {
        case dial(String)
    }

    enum Lifecycle {
        case idle
        case starting
        case running(Running)
        case stopping
        case stopped
    }

    struct Running {
        var server: (any Channel)?
        var boundAddress: NodeAddress
        var control: Task<Void, Never>
    }

    /// Creates a system; nothing starts until `start()` or `run()`.
    ///
    /// - Parameters:
    ///   - settings: the node's name, secret, peers and tuning.
    ///   - group: the event loops for its connections. Defaults to the shared `MultiThreadedEventLoopGroup`.
    public init(settings: Settings, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.settings = settings
        self.group = group
        self.incarnation = UInt64.random(in: 1...UInt64.max)
        self.startedAtMillis = Int64(Date().timeIntervalSince1970 * 1000)
        var log = settings.logger
        log[metadataKey: "node"] = "\(settings.node)"
        self.log = log
        var membership = Membership()
        for peer in settings.peers where peer.name != settings.node {
            membership.members[peer.name] = Membership.Member(address: peer)
        }
        self.membership = Mutex(membership)
        (self.controlCommands, self.controlContinuation) = AsyncStream.makeStream()
        // The hot path between services: every relayed batch.
        self.registerDirectMethod("deliver(_:)", of: MailboxEndpoint.self) { endpoint, batch in
            try await endpoint.deliver(batch)
        }
    }

    /// This node's name.
    public var node: String { self.settings.node }

    /// The address the node listens on, once started (with the real port when configured with port 0).
    public var boundAddress: NodeAddress? {
        self.lifecycle.withLock { state in
            if case .running(let running) = state { return running.boundAddress }
            return nil
        }
    }

    func makeCallID() -> UInt64 { self.nextCallID.add(1, ordering: .relaxed).newValue }

    var handshakeConfiguration: Handshake.Configuration {
        Handshake.Configuration(
            cluster: self.settings.cluster,
            node: self.settings.node,
            role: self.settings.role,
            secret: self.settings.secretKey,
            incarnation: self.incarnation,
            startedAtMillis: self.startedAtMillis,
            members: self.membership.withLock { Set($0.members.keys) },
            acceptClients: self.settings.acceptClients,
            frames: self.settings.frameProtection
        )
    }
}

// MARK: - Actor registry

/// A registry entry; weak, so that the registry never keeps an actor alive.
struct WeakActorRef: Sendable {
    weak var actor: (any DistributedActor)?
}

extension ClusterSystem {
    @TaskLocal static var pathForNextActor: String?

    /// Creates an actor with a well-known path, such as `/service/order`, instead of a generated one.
    ///
    /// ```swift
    /// let order = system.makeActor(path: "/service/order") { OrderService(actorSystem: system) }
    /// ```
    public func makeActor<Act: DistributedActor>(path: String, _ make: () throws -> Act) rethrows -> Act {
        try Self.$pathForNextActor.withValue(path) { try make() }
    }

    public func assignID<Act>(_ actorType: Act.Type) -> ActorID where Act: DistributedActor, Act.ID == ActorID {
        if let path = Self.pathForNextActor {
            return ActorID(node: self.settings.node, path: path)
        }
        let number = self.nextActorNumber.add(1, ordering: .relaxed).newValue
        return ActorID(node: self.settings.node, path: "/actor/\(Act.self)-\(number)")
    }

    public func actorReady<Act>(_ actor: Act) where Act: DistributedActor, Act.ID == ActorID {
        let replaced = self.registry.withLock { registry -> Bool in
            let alive = registry[actor.id.path]?.actor != nil
            registry[actor.id.path] = WeakActorRef(actor: actor)
            return alive
        }
        if replaced {
            self.log.warning(
                "actor path registered twice; the newer actor replaces the older",
                metadata: [
                    "actor.path": "\(actor.id.path)"
                ])
        }
    }

    public func resignID(_ id: ActorID) {
        // A resigning actor's weak entry is already nil; a live entry belongs to a newer actor on the same path.
        self.registry.withLock { registry in
            if registry[id.path]?.actor == nil { registry[id.path] = nil }
        }
    }

    public func resolve<Act>(id: ActorID, as actorType: Act.Type) throws -> Act?
    where Act: DistributedActor, Act.ID == ActorID {
        guard id.node == self.settings.node else { return nil }
        // An unknown local id resolves to a proxy whose calls fail with `.unknownActor`.
        guard let actor = self.registry.withLock({ $0[id.path]?.actor }) else { return nil }
        guard let typed = actor as? Act else {
            throw RuntimeError(.unknownActor, "actor \(id) is not a \(Act.self)")
        }
        return typed
    }

    func localActor(path: String) -> (any DistributedActor)? {
        self.registry.withLock { $0[path]?.actor }
    }

    public func makeInvocationEncoder() -> InvocationEncoder {
        ClusterInvocationEncoder(serialization: self.serialization)
    }
}
