/// What a caller learns when the remote handler threw: a code, a message safe to show, and the error's type.
public struct RemoteError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// A stable, machine-readable code (e.g. `"out_of_stock"`), or `"remote_error"` for errors that do not
    /// conform to `ClusterShareableError`.
    public var code: String
    /// A message the remote side chose to share; never a stack trace or internal detail.
    public var message: String
    /// The Swift type name of the error thrown remotely.
    public var errorType: String

    public init(code: String, message: String, errorType: String) {
        self.code = code
        self.message = message
        self.errorType = errorType
    }

    public var description: String { "remote error \(self.code) (\(self.errorType)): \(self.message)" }
}

/// An error whose code and message may cross the wire to the caller.
///
/// Errors that do not conform reach the caller only as "remote error of type X", so internal details
/// (SQL, paths, secrets) never leak to another node.
public protocol ClusterShareableError: Error {
    /// A stable, machine-readable code.
    var code: String { get }
    /// A message that is safe to show to whoever made the call.
    var safeMessage: String { get }
}
