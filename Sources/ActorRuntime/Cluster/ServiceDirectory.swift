import Synchronization

/// Which nodes host each service, and which of them a sender tries first.
///
/// A service listed on several nodes is active on one of them (the holder of its lease) and stands by on the
/// others. Senders do not ask who holds it: they try the node they last reached, and when that node answers
/// that it stands by, or cannot be reached, they move on to the next (`moveOn`). A node that answered
/// becomes the first choice (`found`), so after a failover every sender settles on the new holder.
public final class ServiceDirectory: Sendable, ExpressibleByDictionaryLiteral {
    /// Every service's nodes, in the order of the configuration.
    public let placement: [String: [String]]
    private let preferred: Mutex<[String: Int]>

    public init(placement: [String: [String]]) {
        self.placement = placement.filter { !$0.value.isEmpty }
        self.preferred = Mutex([:])
    }

    /// One node per service.
    public convenience init(_ nodes: [String: String]) {
        self.init(placement: nodes.mapValues { [$0] })
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.placement = Dictionary(
            elements.map { ($0.0, [$0.1]) }, uniquingKeysWith: { first, second in first + second })
        self.preferred = Mutex([:])
    }

    /// The node to try first for `service`, or nil when no node hosts it.
    public subscript(service: String) -> String? {
        guard let nodes = self.placement[service] else { return nil }
        return nodes[self.preferred.withLock { $0[service] ?? 0 } % nodes.count]
    }

    /// The nodes that host `service`, in configuration order.
    public func nodes(for service: String) -> [String] { self.placement[service] ?? [] }

    /// Whether `node` is one of the nodes of `service` (active or standby).
    public func hosts(_ service: String, on node: String) -> Bool { self.placement[service]?.contains(node) ?? false }

    /// `node` did not take `service`'s work (it stands by, or is unreachable): the next node becomes the first
    /// choice, unless another sender has already moved on.
    public func moveOn(from node: String, for service: String) {
        guard let nodes = self.placement[service], nodes.count > 1 else { return }
        self.preferred.withLock { preferred in
            let current = (preferred[service] ?? 0) % nodes.count
            if nodes[current] == node { preferred[service] = (current + 1) % nodes.count }
        }
    }

    /// `node` took `service`'s work: it stays the first choice.
    public func found(_ service: String, on node: String) {
        guard let nodes = self.placement[service], nodes.count > 1, let index = nodes.firstIndex(of: node) else {
            return
        }
        self.preferred.withLock { $0[service] = index }
    }
}
