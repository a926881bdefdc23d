/// A failure reported by Postgres or by libpq.
///
/// `description` is safe to log; it never contains parameter values (they travel separately from the SQL).
public struct PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The five-character SQLSTATE (`23505` unique violation, `40001` serialization failure, `08006`
    /// connection failure, ...), or `nil` when libpq failed before the server answered.
    public var sqlState: String?
    public var message: String
    /// The connection is gone (network, server restart or shutdown): the work can be retried on a new one.
    public var isConnectionFailure: Bool

    public init(sqlState: String?, message: String, isConnectionFailure: Bool = false) {
        self.sqlState = sqlState
        self.message = message
        self.isConnectionFailure = isConnectionFailure
    }

    /// Whether retrying the whole transaction may succeed: lost connections, serialization failures,
    /// deadlocks, and a server that is starting or shutting down.
    public var isTransient: Bool {
        if self.isConnectionFailure { return true }
        guard let state = self.sqlState else { return false }
        return state.hasPrefix("08") || ["40001", "40P01", "57P01", "57P02", "57P03", "53300"].contains(state)
    }

    public var isUniqueViolation: Bool { self.sqlState == "23505" }

    public var description: String {
        "postgres error\(self.sqlState.map { " \($0)" } ?? ""): \(self.message)"
    }
}
