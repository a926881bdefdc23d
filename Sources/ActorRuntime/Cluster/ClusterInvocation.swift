import Distributed
import NIOCore
import Synchronization

/// Records a distributed call's arguments as encoded values.
public struct ClusterInvocationEncoder: DistributedTargetInvocationEncoder {
    public typealias SerializationRequirement = any Codable

    let serialization: Serialization
    var genericSubstitutions: [String] = []
    var arguments: [ByteBuffer] = []

    init(serialization: Serialization) {
        self.serialization = serialization
    }

    public mutating func recordGenericSubstitution<T>(_ type: T.Type) throws {
        guard let name = _mangledTypeName(T.self) else {
            throw RuntimeError(.serializationFailed, "generic argument \(T.self) has no mangled name")
        }
        self.genericSubstitutions.append(name)
    }

    public mutating func recordArgument<Value: Codable>(_ argument: RemoteCallArgument<Value>) throws {
        self.arguments.append(try self.serialization.encode(argument.value))
    }

    public mutating func recordErrorType<E: Error>(_ type: E.Type) throws {}

    public mutating func recordReturnType<R: Codable>(_ type: R.Type) throws {}

    public mutating func doneRecording() throws {}
}

/// Hands a received call's arguments to the target method.
public struct ClusterInvocationDecoder: DistributedTargetInvocationDecoder {
    public typealias SerializationRequirement = any Codable

    let serialization: Serialization
    let call: Wire.Call
    private var nextArgument = 0

    init(serialization: Serialization, call: Wire.Call) {
        self.serialization = serialization
        self.call = call
    }

    public mutating func decodeGenericSubstitutions() throws -> [any Any.Type] {
        try self.call.genericSubstitutions.map { name in
            guard let type = _typeByName(name) else {
                throw RuntimeError(.badCall, "unknown generic argument type in call to \(self.call.recipient)")
            }
            return type
        }
    }

    public mutating func decodeNextArgument<Argument: Codable>() throws -> Argument {
        guard self.nextArgument < self.call.arguments.count else {
            throw RuntimeError(.badCall, "call to \(self.call.recipient) has too few arguments")
        }
        defer { self.nextArgument += 1 }
        return try self.serialization.decode(Argument.self, from: self.call.arguments[self.nextArgument])
    }

    public mutating func decodeErrorType() throws -> (any Any.Type)? { nil }

    public mutating func decodeReturnType() throws -> (any Any.Type)? { nil }
}

/// Sends the outcome of an executed call back to the caller, exactly once.
public struct ClusterResultHandler: DistributedTargetInvocationResultHandler {
    public typealias SerializationRequirement = any Codable

    let reply: ReplySender
    let serialization: Serialization

    public func onReturn<Success: Codable>(value: Success) async throws {
        do {
            self.reply.send(.value(try self.serialization.encode(value)))
        } catch let error as RuntimeError {
            self.reply.send(.error(.runtime(error)))
        }
    }

    public func onReturnVoid() async throws {
        self.reply.send(.void)
    }

    public func onThrow<Err: Error>(error: Err) async throws {
        self.reply.send(.error(RemoteError(sharing: error)))
    }
}

/// The reply path of one inbound call; the first outcome sent wins.
final class ReplySender: Sendable {
    private let connection: PeerConnection
    private let callID: UInt64
    private let sent = Atomic<Bool>(false)

    init(connection: PeerConnection, callID: UInt64) {
        self.connection = connection
        self.callID = callID
    }

    func send(_ outcome: Wire.Reply.Outcome) {
        guard !self.sent.exchange(true, ordering: .acquiringAndReleasing) else { return }
        self.connection.send(.reply(Wire.Reply(callID: self.callID, outcome: outcome)))
    }
}
