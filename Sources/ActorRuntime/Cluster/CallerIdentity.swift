/// Who sent the remote call being executed, as its connection's handshake proved it.
public struct CallerIdentity: Sendable, Equatable {
    /// The calling node's name (a client's name for operator tools).
    public var node: String
    public var role: Wire.Role
}

extension ClusterSystem {
    /// The remote caller of the distributed method running in this task; nil for a call made in this process.
    @TaskLocal public static var caller: CallerIdentity?

    /// States which roles may call the running distributed method: throws `notPermitted` when a remote caller
    /// has another role. Calls made in this process pass (they never crossed a connection).
    ///
    /// - Returns: the remote caller, for further checks (e.g. that a batch comes from a service it hosts).
    @discardableResult
    public static func allow(_ roles: Set<Wire.Role>, _ method: StaticString) throws -> CallerIdentity? {
        guard let caller = Self.caller else { return nil }
        guard roles.contains(caller.role) else {
            throw RuntimeError(.notPermitted, "\(method) may not be called by a \(caller.role) connection")
        }
        return caller
    }
}

extension Wire.Role: CustomStringConvertible {
    public var description: String {
        switch self {
        case .member: "member"
        case .client: "client"
        }
    }
}
