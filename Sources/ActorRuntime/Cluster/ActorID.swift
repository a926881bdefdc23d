/// Identifies an actor anywhere in the cluster: the node that hosts it and its path on that node.
///
/// Service actors have well-known paths (`/service/order-saga`), so any node can address any service once it
/// knows which node hosts it.
public struct ActorID: Hashable, Sendable, Codable, CustomStringConvertible {
    public var node: String
    public var path: String

    public init(node: String, path: String) {
        self.node = node
        self.path = path
    }

    /// The id of a service actor: `/service/<name>` on `node`.
    public static func service(_ name: String, on node: String) -> ActorID {
        ActorID(node: node, path: "/service/\(name)")
    }

    public var description: String { "\(self.node)\(self.path)" }
}
