import NIOCore

extension Wire {
    /// A distributed method invocation.
    ///
    /// On the wire: `callID | mode | (id, or recipient and target) | generics | arguments`, where the mode says
    /// whether the names are inline, defined for later calls, or replaced by an id (`TargetReference`).
    public struct Call: Sendable, Equatable {
        public var callID: UInt64
        /// Path of the recipient actor on the receiving node.
        public var recipient: String
        /// The `RemoteCallTarget` identifier (the method's mangled name).
        public var target: String
        public var genericSubstitutions: [String]
        public var arguments: [ByteBuffer]
        /// On the receiving side, the interned id the call named its target by (nil when sent inline).
        public var targetID: UInt32?

        public init(
            callID: UInt64,
            recipient: String,
            target: String,
            genericSubstitutions: [String] = [],
            arguments: [ByteBuffer],
            targetID: UInt32? = nil
        ) {
            self.callID = callID
            self.recipient = recipient
            self.target = target
            self.genericSubstitutions = genericSubstitutions
            self.arguments = arguments
            self.targetID = targetID
        }

        var callTarget: CallTarget { CallTarget(recipient: self.recipient, method: self.target) }

        /// Bytes the body takes at most (with names inline).
        var maxBodyBytes: Int {
            var size = 16 + self.recipient.utf8.count + self.target.utf8.count
            for argument in self.arguments { size += 4 + argument.readableBytes }
            for name in self.genericSubstitutions { size += 2 + name.utf8.count }
            return size
        }

        func encode(into buffer: inout ByteBuffer, reference: TargetReference = .inline) {
            buffer.writeInteger(self.callID)
            buffer.writeInteger(reference.mode)
            if case .use(let id) = reference {
                buffer.writeInteger(id)
            } else {
                buffer.writeWireString(self.recipient)
                buffer.writeWireString(self.target)
            }
            buffer.writeInteger(UInt8(self.genericSubstitutions.count))
            for name in self.genericSubstitutions { buffer.writeWireString(name) }
            buffer.writeInteger(UInt16(self.arguments.count))
            for argument in self.arguments { buffer.writeWireBlob(argument) }
        }

        static let maxRecipientBytes = 1024
        static let maxTargetBytes = 4096

        /// Decodes a call that may not use interned ids (tests and tools).
        static func decode(from buffer: inout ByteBuffer) throws -> Call {
            var table = TargetTable()
            return try Self.decode(from: &buffer, targets: &table)
        }

        /// Decodes a call, resolving or recording its target in the connection's `targets`.
        static func decode(from buffer: inout ByteBuffer, targets: inout TargetTable) throws -> Call {
            let callID = try buffer.readWireInteger("callID", as: UInt64.self)
            let target: CallTarget
            var targetID: UInt32?
            switch try buffer.readWireInteger("targetMode", as: UInt8.self) {
            case 0:
                target = try Self.readNames(from: &buffer)
            case 1:
                target = try Self.readNames(from: &buffer)
                targetID = try targets.define(target)
            case 2:
                let id = try buffer.readWireInteger("targetID", as: UInt32.self)
                target = try targets.target(id)
                targetID = id
            case let other:
                throw WireError.malformed("unknown call target mode \(other)")
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
                recipient: target.recipient,
                target: target.method,
                genericSubstitutions: generics,
                arguments: arguments,
                targetID: targetID
            )
        }

        private static func readNames(from buffer: inout ByteBuffer) throws -> CallTarget {
            let recipient = try buffer.readWireString("recipient")
            let target = try buffer.readWireString("target")
            // Real paths and mangled method names are far shorter; anything longer is an attack, and a
            // protocol error closes the connection.
            guard recipient.utf8.count <= Call.maxRecipientBytes else {
                throw WireError.malformed(
                    "recipient of \(recipient.utf8.count) bytes (at most \(Call.maxRecipientBytes))")
            }
            guard target.utf8.count <= Call.maxTargetBytes else {
                throw WireError.malformed("target of \(target.utf8.count) bytes (at most \(Call.maxTargetBytes))")
            }
            return CallTarget(recipient: recipient, method: target)
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

        /// Bytes the body takes at most.
        var maxBodyBytes: Int {
            switch self.outcome {
            case .value(let value): 13 + value.readableBytes
            case .void: 9
            case .error: 9 + 6 + 128 + 4096 + 512
            }
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

    static func call(_ m: Wire.Call) -> Self { .make(.call, capacity: m.maxBodyBytes) { m.encode(into: &$0) } }

    static func reply(_ m: Wire.Reply) -> Self {
        .make(.reply, capacity: min(m.maxBodyBytes, 1024)) { m.encode(into: &$0) }
    }
}
