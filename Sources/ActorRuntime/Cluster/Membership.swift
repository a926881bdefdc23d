import Foundation

/// How a node sees one of its peers.
public enum MemberState: String, Sendable, Codable, CustomStringConvertible {
    /// Connected and authenticated; heartbeats arrive.
    case up
    /// Not connected: never reached yet, connection lost, or heartbeats stopped. Reconnection keeps trying.
    case unreachable
    /// Left on purpose (said goodbye while shutting down) or marked down by an operator.
    case down

    public var description: String { self.rawValue }
}

/// The static member list of a node and the live state of each member. Guarded by the system's mutex.
struct Membership {
    struct Member {
        var address: NodeAddress
        var state: MemberState = .unreachable
        var connection: PeerConnection?
        /// The identity the peer proved at its last handshake (kept while it is unreachable, for status).
        var identity: Handshake.PeerIdentity?
        var stateSince = Date()
    }

    var members: [String: Member] = [:]
    /// Connections from tools (`node status`); they make calls but are not members.
    var clients: [ObjectIdentifier: PeerConnection] = [:]

    var allConnections: [PeerConnection] {
        self.members.values.compactMap(\.connection) + Array(self.clients.values)
    }

    mutating func setState(_ name: String, _ state: MemberState) {
        guard var member = self.members[name], member.state != state else { return }
        member.state = state
        member.stateSince = Date()
        self.members[name] = member
    }
}

/// A point-in-time picture of the cluster as one node sees it.
public struct ClusterStatus: Sendable, Codable, Equatable {
    public var cluster: String
    public var node: String
    public var incarnation: UInt64
    public var uptimeSeconds: Double
    /// This node first, then its peers by name.
    public var members: [MemberStatus]
    /// Paths of the actors registered under `/service/` on this node.
    public var services: [String]
    public var transport: TransportStats.Snapshot
}

/// One member's state as seen from the reporting node.
public struct MemberStatus: Sendable, Codable, Equatable {
    public var name: String
    public var host: String
    public var port: Int
    public var state: MemberState
    /// Random per process start; a new value means the node restarted. `nil` before it was ever reached.
    public var incarnation: UInt64?
    /// Seconds since the member's process started (as it reported at the handshake).
    public var uptimeSeconds: Double?
    /// Last heartbeat round trip, in microseconds.
    public var rttMicros: Double?
    /// Seconds since the member entered `state`.
    public var stateSinceSeconds: Double
}
