import Crypto
import Logging

/// Where a node listens.
public struct NodeAddress: Hashable, Sendable, Codable, CustomStringConvertible {
    public var name: String
    public var host: String
    public var port: Int

    /// Whether `host` names this machine only (127.x, ::1, localhost).
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    public init(name: String, host: String, port: Int) {
        self.name = name
        self.host = host
        self.port = port
    }

    public var description: String { "\(self.name)@\(self.host):\(self.port)" }
}

extension ClusterSystem {
    /// Capped exponential backoff with jitter.
    public struct Backoff: Sendable, Equatable {
        /// First delay. Defaults to 50 ms.
        public var initial: Duration = .milliseconds(50)
        /// Largest delay. Defaults to 2 s.
        public var maximum: Duration = .seconds(2)
        /// Growth factor per failure. Defaults to 2.
        public var multiplier: Double = 2
        /// Each delay is drawn uniformly from ±`jitter` of its nominal value. Defaults to 0.2.
        public var jitter: Double = 0.2

        public init() {}

        /// The delay before attempt `attempt` (0-based), jittered.
        public func delay(attempt: Int) -> Duration {
            var random = SystemRandomNumberGenerator()
            return self.delay(attempt: attempt, using: &random)
        }

        /// The delay before attempt `attempt` (0-based), jittered with `random` (tests pass a seeded one).
        public func delay(attempt: Int, using random: inout some RandomNumberGenerator) -> Duration {
            let cap = Double(self.maximum.nanoseconds)
            var base = Double(self.initial.nanoseconds)
            for _ in 0..<attempt where base < cap { base *= self.multiplier }
            let capped = min(base, cap)
            let factor = 1 + Double.random(in: -self.jitter...self.jitter, using: &random)
            return .nanoseconds(Int64(capped * factor))
        }
    }

    /// Everything a node needs to join its cluster.
    public struct Settings: Sendable {
        /// The cluster's name; nodes of another cluster are refused. Defaults to `"shop"`.
        public var cluster: String = "shop"
        /// This node's name, unique in the cluster.
        public var node: String
        /// Host to listen on. Defaults to `127.0.0.1`.
        public var host: String = "127.0.0.1"
        /// Port to listen on; 0 picks a free one (see `ClusterSystem.boundAddress`). Defaults to 0.
        public var port: Int = 0
        /// The shared secret every node proves during the handshake. It never travels.
        public var secret: String
        /// `.member` listens and joins; `.client` only dials the configured nodes to make calls. Defaults to
        /// `.member`.
        public var role: Wire.Role = .member
        /// The other nodes of the cluster.
        public var peers: [NodeAddress] = []
        /// Deadline of a remote call unless overridden with `ClusterSystem.withCallTimeout`. Defaults to 5 s.
        public var callTimeout: Duration = .seconds(5)
        /// Frame caps and compression policy.
        public var limits = Wire.Limits()
        /// Interval between heartbeats on each connection. Defaults to 500 ms.
        public var heartbeatInterval: Duration = .milliseconds(500)
        /// A connection on which nothing was heard for this long is closed and its peer marked unreachable.
        /// Defaults to 3 s.
        public var failureTimeout: Duration = .seconds(3)
        /// Reconnect delays. Defaults to 50 ms doubling to 2 s, ±20 %.
        public var reconnectBackoff = Backoff()
        /// What heartbeats, failure detection, reconnect backoff and the node's mailboxes' retry backoff read.
        /// Defaults to the continuous clock; tests pass a manual one.
        public var clock = RuntimeClock.continuous
        /// Time allowed for TCP connect. Defaults to 2 s.
        public var connectTimeout: Duration = .seconds(2)
        /// Time allowed for a handshake to complete. Defaults to 5 s.
        public var handshakeTimeout: Duration = .seconds(5)
        /// Accepted connections still in their handshake at once; more are closed on arrival. Defaults to 64.
        public var maxPendingHandshakes = 64
        /// Bytes of frames queued for one peer that is not reading; past it, new calls to it fail at once
        /// and replies are dropped (their callers time out). Defaults to 64 MiB.
        public var maxOutboundBytes = 64 << 20
        /// How long shutdown waits for in-flight inbound calls to finish. Defaults to 10 s.
        public var shutdownGracePeriod: Duration = .seconds(10)
        /// Whether clients (`node status`) may connect. Defaults to `true`.
        public var acceptClients = true
        /// How frames are protected after the handshake; every node (and client) of a cluster must agree.
        /// `nil` (the default) means `.encrypted` when this node's host or any peer's is not loopback, and
        /// `.plain` otherwise.
        public var frames: Wire.FrameProtection?
        /// Logger; metadata `node` is added.
        public var logger = Logger(label: "actor-runtime")

        public init(node: String, secret: String) {
            self.node = node
            self.secret = secret
        }

        var secretKey: SymmetricKey { SymmetricKey(data: Array(self.secret.utf8)) }

        /// The mode in force: `frames`, or the default for the addresses.
        public var frameProtection: Wire.FrameProtection {
            if let frames = self.frames { return frames }
            let loopbackOnly =
                NodeAddress.isLoopback(self.host) && self.peers.allSatisfy { NodeAddress.isLoopback($0.host) }
            return loopbackOnly ? .plain : .encrypted
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
