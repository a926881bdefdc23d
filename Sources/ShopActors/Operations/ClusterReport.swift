import ActorRuntime
import Distributed
import Foundation

/// The cluster as one picture: nodes (state, incarnation, uptime, RTT, services), each service's mailbox
/// (pending, oldest pending age, dead letters) and sagas by status. `node status` prints it; the dashboard
/// polls it as JSON.
public struct ClusterReport: Codable, Sendable {
    public struct Node: Codable, Sendable {
        public var name: String
        public var address: String
        /// `up` or `down`; `detail` says more when down (never reached, unreachable, left).
        public var state: String
        public var detail: String?
        public var incarnation: String?
        public var uptimeSeconds: Double?
        public var rttMs: Double?
        public var services: [String]

        enum CodingKeys: String, CodingKey {
            case name, address, state, detail, incarnation, services
            case uptimeSeconds = "uptime_seconds", rttMs = "rtt_ms"
        }
    }

    public struct ServiceQueue: Codable, Sendable {
        public var service: String
        public var node: String
        /// Whether the service answered; the numbers are absent when it did not.
        public var reachable: Bool
        public var pending: Int?
        public var scheduled: Int?
        public var oldestPendingSeconds: Double?
        public var deadLetters: Int?
        /// `active` or `standby` (a service listed on several nodes runs on the one holding its lease).
        public var role: String?
        /// The lease's holder and epoch, and the last failover (its time and the node that held it before).
        public var activeNode: String?
        public var leaseEpoch: Int64?
        public var lastFailoverAt: Date?
        public var previousNode: String?

        enum CodingKeys: String, CodingKey {
            case service, node, reachable, pending, scheduled, role
            case oldestPendingSeconds = "oldest_pending_seconds", deadLetters = "dead_letters"
            case activeNode = "active_node", leaseEpoch = "lease_epoch", lastFailoverAt = "last_failover_at"
            case previousNode = "previous_node"
        }
    }

    public var cluster: String
    public var observedBy: String
    public var generatedAt: Date
    public var nodes: [Node]
    public var services: [ServiceQueue]
    /// Sagas by status; nil when the saga service could not be asked.
    public var sagas: [String: Int]?
    /// The gateway's admission control; nil when the gateway could not be asked.
    public var admission: AdmissionReport?

    public var allUp: Bool { self.nodes.allSatisfy { $0.state == "up" } }

    enum CodingKeys: String, CodingKey {
        case cluster, nodes, services, sagas, admission
        case observedBy = "observed_by", generatedAt = "generated_at"
    }

    /// Gathers the report from `system`'s view of its peers, asking every reachable service for its queues.
    ///
    /// - Parameters:
    ///   - nodes: every node of the cluster, in order, with its address and services (from cluster.conf).
    ///   - timeout: deadline of each call to a service.
    public static func gather(
        system: ClusterSystem, nodes: [(name: String, address: String, services: [String])],
        timeout: Duration = .seconds(2)
    ) async -> ClusterReport {
        let status = system.status()
        let members = Dictionary(status.members.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let reportNodes = nodes.map { node -> Node in
            guard let member = members[node.name] else {
                return Node(
                    name: node.name, address: node.address, state: "down", detail: "not known to \(status.node)",
                    services: node.services)
            }
            let up = member.state == .up
            let detail: String? =
                switch member.state {
                case .up: nil
                case .down: "left the cluster"
                case .unreachable: member.incarnation == nil ? "not reachable at \(node.address)" : "unreachable"
                }
            return Node(
                name: node.name, address: node.address, state: up ? "up" : "down", detail: detail,
                incarnation: up ? member.incarnation.map { String($0, radix: 16) } : nil,
                uptimeSeconds: up ? member.uptimeSeconds : nil, rttMs: up ? member.rttMicros.map { $0 / 1000 } : nil,
                services: node.services)
        }
        let upNodes = Set(reportNodes.filter { $0.state == "up" }.map(\.name))
        let placement = nodes.flatMap { node in node.services.map { ($0, node.name) } }
        let queues = await withTaskGroup(of: ServiceQueue.self) { group in
            for (service, node) in placement {
                group.addTask {
                    var queue = ServiceQueue(service: service, node: node, reachable: false)
                    guard upNodes.contains(node) else { return queue }
                    let id = ActorID(node: node, path: MailboxEndpoint.path(for: service))
                    guard
                        let stats = try? await ClusterSystem.withCallTimeout(
                            timeout,
                            {
                                try await MailboxEndpoint.resolve(id: id, using: system).stats()
                            })
                    else { return queue }
                    queue.reachable = true
                    queue.pending = stats.pending.values.reduce(0, +)
                    queue.scheduled = stats.scheduled
                    queue.oldestPendingSeconds = stats.oldestPendingSeconds
                    queue.deadLetters = stats.deadLetters
                    queue.role = stats.role
                    queue.activeNode = stats.lease?.node
                    queue.leaseEpoch = stats.lease?.epoch
                    queue.lastFailoverAt = stats.lease?.failedOverAt
                    queue.previousNode = stats.lease?.previousNode
                    return queue
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        /// The node that runs `service`: the one that says it is active, else the first that is up.
        func running(_ service: String) -> String? {
            queues.first { $0.service == service && $0.role == "active" }?.node
                ?? placement.first { $0.0 == service && upNodes.contains($0.1) }?.1
        }
        var sagas: [String: Int]?
        if let node = running("order-saga") {
            let id = ActorID(node: node, path: OrderSagaService.path)
            sagas = try? await ClusterSystem.withCallTimeout(timeout) {
                try await OrderSagaService.resolve(id: id, using: system).counts()
            }
        }
        var admission: AdmissionReport?
        if let node = running("gateway") {
            let id = ActorID(node: node, path: GatewayService.path)
            admission = try? await ClusterSystem.withCallTimeout(timeout) {
                try await GatewayService.resolve(id: id, using: system).admission()
            }
        }
        let order = Dictionary(placement.enumerated().map { ($1.0, $0) }, uniquingKeysWith: { first, _ in first })
        return ClusterReport(
            cluster: status.cluster, observedBy: status.node, generatedAt: Date(), nodes: reportNodes,
            services: queues.sorted {
                (order[$0.service, default: 0], $0.node) < (order[$1.service, default: 0], $1.node)
            },
            sagas: sagas, admission: admission)
    }
}
