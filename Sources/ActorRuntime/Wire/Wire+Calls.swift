import NIOCore

extension Wire {
    /// A distributed method invocation.
    public struct Call: Sendable, Equatable {
        public var callID: UInt64
        /// Path of the recipient actor on the receiving node.
        public var recipient: String
        /// The `RemoteCallTarget` identifier (the method's mangled name).
        public var target: String
        public var genericSubstitutions: [String]
        public var arguments: [ByteBuffer]

        public init(
            callID: UInt64,
            recipient: String,
            target: String,
            genericSubstitutions: [String] = [],
            arguments: [ByteBuffer]
        ) {
            self.callID = callID
            self.recipient = recipient
            self.target = target
            self.genericSubstitutions = genericSubstitutions
            self.arguments = arguments
        }

        func encode(into buffer: inout ByteBuffer) {
            buffer.writeInteger(self.callID)
            buffer.writeWireString(self.recipient)
            buffer.writeWireString(self.target)
            buffer.writeInteger(UInt8(self.genericSubstitutions.count))
            for name in self.genericSubstitutions { buffer.writeWireString(name) }
            buffer.writeInteger(UInt16(self.arguments.count))
            for argument in self.arguments { buffer.writeWireBlob(argument) }
        }

        static let maxRecipientBytes = 1024
        static let maxTargetBytes = 4096

        static func decode(from buffer: inout ByteBuffer) throws -> Call {
            let callID = try buffer.readWireInteger("callID", as: UInt64.self)
            let recipient = try buffer.readWireString("recipient")
            let target = try buffer.readWireString("target")
            // Real paths and mangled method names are far shorter; anything longer is an attack, and a
            // protocol error closes the connection.
            guard recipient.utf8.count <= Call.maxRecipientBytes else {
                throw WireError.malformed("recipient of \(recipient.utf8.count) bytes (at most \(Call.maxRecipientBytes))")
            }
            guard target.utf8.count <= Call.maxTargetBytes else {
                throw WireError.malformed("target of \(target.utf8.count) bytes (at most \(Call.maxTargetBytes))")
            }
            let genericCount = try buffer.readWireInteger("genericCount", as: UInt8.self)
            var generics: [String] = []
            for _ in 0..<genericCount { generics.append(try buffer.readWireString("genericSubstitution")) }
            let argumentCount = try buffer.readWireInteger("argumentCount", as: UInt16.self)
            var arguments: [ByteBuffer] = []
            arguments.reserveCapacity(Int(min(argumentCount, 64)))
            for _ in 0..<argumentCount { arguments.append(try buffer.readWireBlob("argument")) }
            try buffer.expectFullyRead("call")
            return Call(
                callID: callID,
                recipient: recipient,
                target: target,
                genericSubstitutions: generics,
                arguments: arguments
            )
        }
    }

    /// The answer to a `Call`.
    public struct Reply: Sendable, Equatable {
        public enum Outcome: Sendable, Equatable {
            case value(ByteBuffer)
            case void
            case error(RemoteError)
        }

        public var callID: UInt64
        public var outcome: Outcome

        public init(callID: UInt64, outcome: Outcome) {
            self.callID = callID
            self.outcome = outcome
        }

        func encode(into buffer: inout ByteBuffer) {
            buffer.writeInteger(self.callID)
            switch self.outcome {
            case .value(let value):
                buffer.writeInteger(UInt8(0))
                buffer.writeWireBlob(value)
            case .void:
                buffer.writeInteger(UInt8(1))
            case .error(let error):
                buffer.writeInteger(UInt8(2))
                // Bounded: an error's text may quote what a caller sent (a recipient of 65,000 bytes).
                buffer.writeWireString(error.code.wirePrefix(maxBytes: 128))
                buffer.writeWireString(error.message.wirePrefix(maxBytes: 4096))
                buffer.writeWireString(error.errorType.wirePrefix(maxBytes: 512))
            }
        }

        static func decode(from buffer: inout ByteBuffer) throws -> Reply {
            let callID = try buffer.readWireInteger("callID", as: UInt64.self)
            let outcome: Outcome
            switch try buffer.readWireInteger("outcome", as: UInt8.self) {
            case 0: outcome = .value(try buffer.readWireBlob("value"))
            case 1: outcome = .void
            case 2:
                outcome = .error(
                    RemoteError(
                        code: try buffer.readWireString("code"),
                        message: try buffer.readWireString("message"),
                        errorType: try buffer.readWireString("errorType")
                    )
                )
            case let other: throw WireError.malformed("unknown reply outcome \(other)")
            }
            try buffer.expectFullyRead("reply")
            return Reply(callID: callID, outcome: outcome)
        }
    }

    /// Heartbeat: the receiver echoes it back as a pong, which gives the sender the round-trip time.
    public struct Ping: Sendable, Equatable {
        public var sequence: UInt64
        public var sentAtNanos: UInt64

        func encode(into buffer: inout ByteBuffer) {
            buffer.writeInteger(self.sequence)
            buffer.writeInteger(self.sentAtNanos)
        }

        static func decode(from buffer: inout ByteBuffer) throws -> Ping {
            let ping = Ping(
                sequence: try buffer.readWireInteger("sequence"),
                sentAtNanos: try buffer.readWireInteger("sentAtNanos")
            )
            try buffer.expectFullyRead("ping")
            return ping
        }
    }
}

extension Wire.Frame {
    static func make(_ kind: Wire.Kind, capacity: Int = 64, _ write: (inout ByteBuffer) -> Void) -> Wire.Frame {
        var body = ByteBufferAllocator().buffer(capacity: capacity)
        write(&body)
        return Wire.Frame(kind: kind, body: body)
    }

    static func hello(_ m: Wire.Hello) -> Self { .make(.hello) { m.encode(into: &$0) } }
    static func challenge(_ m: Wire.Challenge) -> Self { .make(.challenge) { m.encode(into: &$0) } }
    static func proof(_ m: Wire.Proof) -> Self { .make(.proof) { m.encode(into: &$0) } }
    static func reject(_ m: Wire.Reject) -> Self { .make(.reject) { m.encode(into: &$0) } }
    static func welcome(_ m: Wire.Proof) -> Self { .make(.welcome) { m.encode(into: &$0) } }
    static var goodbye: Self { Wire.Frame(kind: .goodbye, body: ByteBuffer()) }
    static func ping(_ m: Wire.Ping) -> Self { .make(.ping, capacity: 16) { m.encode(into: &$0) } }
    static func pong(_ m: Wire.Ping) -> Self { .make(.pong, capacity: 16) { m.encode(into: &$0) } }

    static func call(_ m: Wire.Call) -> Self {
        let size = 32 + m.recipient.utf8.count + m.target.utf8.count
            + m.arguments.reduce(0) { $0 + 4 + $1.readableBytes }
        return .make(.call, capacity: size) { m.encode(into: &$0) }
    }

    static func reply(_ m: Wire.Reply) -> Self {
        var size = 16
        if case .value(let value) = m.outcome { size += value.readableBytes }
        return .make(.reply, capacity: size) { m.encode(into: &$0) }
    }
}
