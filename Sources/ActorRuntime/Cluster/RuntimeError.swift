/// A failure of the actor runtime itself (as opposed to an error thrown by a remote handler, which arrives as
/// `.remoteCallFailed` with the remote side's `RemoteError`).
///
/// `description` is safe to show to clients; `debugDescription` adds where it was raised.
public struct RuntimeError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case unknownActor = "unknown_actor"
            case unknownNode = "unknown_node"
            case callTimedOut = "call_timed_out"
            case peerUnreachable = "peer_unreachable"
            case remoteCallFailed = "remote_call_failed"
            case badCall = "bad_call"
            case serializationFailed = "serialization_failed"
            case shuttingDown = "shutting_down"
            case notRunning = "not_running"
            case handshakeFailed = "handshake_failed"
            case bindFailed = "bind_failed"
            case notPermitted = "not_permitted"
            case standby = "standby"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The service stands by on that node: another node holds its lease (try the service's other nodes).
        public static let standby = Code(.standby)
        /// The caller's role (from its handshake) may not call this method, or not with these arguments.
        public static let notPermitted = Code(.notPermitted)
        /// No actor with that id is registered on its node.
        public static let unknownActor = Code(.unknownActor)
        /// The id names a node that is not in the cluster.
        public static let unknownNode = Code(.unknownNode)
        /// No reply arrived before the call's deadline.
        public static let callTimedOut = Code(.callTimedOut)
        /// The node is not connected (unreachable or down), or the connection dropped while the call was pending.
        public static let peerUnreachable = Code(.peerUnreachable)
        /// The remote handler threw; see `remote`.
        public static let remoteCallFailed = Code(.remoteCallFailed)
        /// The remote side could not decode or dispatch the call (unknown method, bad arguments).
        public static let badCall = Code(.badCall)
        /// A value could not be encoded or decoded.
        public static let serializationFailed = Code(.serializationFailed)
        /// This node, or the remote one, is shutting down.
        public static let shuttingDown = Code(.shuttingDown)
        /// The system has not been started (or has stopped).
        public static let notRunning = Code(.notRunning)
        /// A connection's handshake was refused or failed.
        public static let handshakeFailed = Code(.handshakeFailed)
        /// The listening socket could not be bound.
        public static let bindFailed = Code(.bindFailed)

        /// The stable string form, also used on the wire.
        public var description: String { self.base.rawValue }

        init?(wireCode: String) {
            guard let base = Base(rawValue: wireCode) else { return nil }
            self.base = base
        }
    }

    public var code: Code
    /// A message safe to show to a client.
    public var message: String
    /// The error the remote handler threw, for `.remoteCallFailed`.
    public var remote: RemoteError?
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, remote: RemoteError? = nil, file: String = #fileID, line: Int = #line)
    {
        self.code = code
        self.message = message
        self.remote = remote
        self.file = file
        self.line = line
    }

    public var description: String { "\(self.code): \(self.message)" }
    public var debugDescription: String { "\(self.code): \(self.message) [\(self.file):\(self.line)]" }

    static func unknownActor(_ id: ActorID, file: String = #fileID, line: Int = #line) -> Self {
        Self(.unknownActor, "no actor \(id.path) on node \(id.node)", file: file, line: line)
    }

    static func callTimedOut(_ target: String, after timeout: Duration, file: String = #fileID, line: Int = #line)
        -> Self
    {
        Self(.callTimedOut, "call to \(target) got no reply within \(timeout)", file: file, line: line)
    }

    static func peerUnreachable(_ node: String, _ why: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(.peerUnreachable, "node \(node) is unreachable: \(why)", file: file, line: line)
    }

    static func shuttingDown(_ node: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(.shuttingDown, "node \(node) is shutting down", file: file, line: line)
    }

    /// Maps an error reply from the wire back to the error the caller sees.
    static func fromReply(_ remote: RemoteError, target: String) -> Self {
        // Only errors raised by the remote runtime itself map back to runtime codes; a RuntimeError thrown by a
        // handler (say, its own call timed out) is the handler's failure, not this call's.
        if remote.errorType == RemoteError.runtimeErrorType, let code = Code(wireCode: remote.code) {
            return Self(code, remote.message)
        }
        return Self(.remoteCallFailed, "call to \(target) failed: \(remote.message)", remote: remote)
    }
}

extension RemoteError {
    /// `errorType` of replies produced by the receiving runtime rather than by a handler.
    static let runtimeErrorType = "ActorRuntime"

    static func runtime(_ error: RuntimeError) -> RemoteError {
        RemoteError(code: error.code.description, message: error.message, errorType: Self.runtimeErrorType)
    }

    /// What a remote caller is told about `error`: its code and message only if it chose to share them.
    init(sharing error: any Error) {
        switch error {
        case let error as RuntimeError:
            self.init(code: error.code.description, message: error.message, errorType: "RuntimeError")
        case let error as any ClusterShareableError:
            self.init(code: error.code, message: error.safeMessage, errorType: String(describing: type(of: error)))
        default:
            let type = String(describing: Swift.type(of: error))
            self.init(code: "remote_error", message: "remote error of type \(type)", errorType: type)
        }
    }
}
