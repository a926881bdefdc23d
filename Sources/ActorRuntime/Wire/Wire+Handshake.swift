import NIOCore

extension Wire {
    /// Whether the connecting side is a cluster member or a tool (such as `node status`) that only makes calls.
    public enum Role: UInt8, Sendable, Codable {
        case member = 1
        case client = 2
    }

    /// First frame of the dialing side.
    public struct Hello: Sendable, Equatable {
        public var magic: UInt32 = Wire.magic
        public var version: UInt16 = Wire.protocolVersion
        public var role: Role
        /// How the dialer protects frames after the handshake; the acceptor requires its own mode.
        public var frames: FrameProtection = .plain
        public var cluster: String
        public var node: String
        /// The node the dialer believes it is calling; empty for clients.
        public var target: String
        public var incarnation: UInt64
        public var startedAtMillis: Int64
        public var nonce: [UInt8]

        func encode(into buffer: inout ByteBuffer) {
            buffer.writeInteger(self.magic)
            buffer.writeInteger(self.version)
            buffer.writeInteger(self.role.rawValue)
            buffer.writeInteger(self.frames.rawValue)
            buffer.writeWireString(self.cluster)
            buffer.writeWireString(self.node)
            buffer.writeWireString(self.target)
            buffer.writeInteger(self.incarnation)
            buffer.writeInteger(self.startedAtMillis)
            buffer.writeBytes(self.nonce)
        }

        /// Decodes a hello. Magic and version are read first, so that a peer of another version gets a
        /// "wrong version" answer rather than a parse error.
        static func decode(from buffer: inout ByteBuffer) throws -> Hello {
            let magic = try buffer.readWireInteger("magic", as: UInt32.self)
            let version = try buffer.readWireInteger("version", as: UInt16.self)
            guard magic == Wire.magic, version == Wire.protocolVersion else {
                // The rest may be laid out differently; report what we know.
                return Hello(
                    magic: magic, version: version, role: .member, cluster: "", node: "", target: "",
                    incarnation: 0, startedAtMillis: 0, nonce: []
                )
            }
            guard let role = Role(rawValue: try buffer.readWireInteger("role", as: UInt8.self)) else {
                throw WireError.malformed("unknown role in hello")
            }
            guard let frames = FrameProtection(rawValue: try buffer.readWireInteger("frames", as: UInt8.self)) else {
                throw WireError.malformed("unknown frame protection in hello")
            }
            let hello = Hello(
                magic: magic,
                version: version,
                role: role,
                frames: frames,
                cluster: try buffer.readWireString("cluster"),
                node: try buffer.readWireString("node"),
                target: try buffer.readWireString("target"),
                incarnation: try buffer.readWireInteger("incarnation"),
                startedAtMillis: try buffer.readWireInteger("startedAtMillis"),
                nonce: try buffer.readWireBytes("nonce", count: Handshake.nonceSize)
            )
            try buffer.expectFullyRead("hello")
            return hello
        }
    }

    /// The accepting side's answer: who it is and its nonce. No proof: the acceptor proves the secret only
    /// after the dialer has (in `Welcome`), so a stranger who connects learns nothing to guess it from.
    public struct Challenge: Sendable, Equatable {
        public var version: UInt16 = Wire.protocolVersion
        public var cluster: String
        public var node: String
        public var incarnation: UInt64
        public var startedAtMillis: Int64
        public var nonce: [UInt8]

        func encode(into buffer: inout ByteBuffer) {
            buffer.writeInteger(self.version)
            buffer.writeWireString(self.cluster)
            buffer.writeWireString(self.node)
            buffer.writeInteger(self.incarnation)
            buffer.writeInteger(self.startedAtMillis)
            buffer.writeBytes(self.nonce)
        }

        static func decode(from buffer: inout ByteBuffer) throws -> Challenge {
            let challenge = Challenge(
                version: try buffer.readWireInteger("version"),
                cluster: try buffer.readWireString("cluster"),
                node: try buffer.readWireString("node"),
                incarnation: try buffer.readWireInteger("incarnation"),
                startedAtMillis: try buffer.readWireInteger("startedAtMillis"),
                nonce: try buffer.readWireBytes("nonce", count: Handshake.nonceSize)
            )
            try buffer.expectFullyRead("challenge")
            return challenge
        }
    }

    /// A proof of the secret: the dialer's (`proof` frame), then the acceptor's (`welcome` frame), which the
    /// dialer checks before it serves the connection.
    public struct Proof: Sendable, Equatable {
        public var proof: [UInt8]

        func encode(into buffer: inout ByteBuffer) {
            buffer.writeBytes(self.proof)
        }

        static func decode(from buffer: inout ByteBuffer) throws -> Proof {
            let proof = Proof(proof: try buffer.readWireBytes("proof", count: Handshake.proofSize))
            try buffer.expectFullyRead("proof")
            return proof
        }
    }

    /// Why a handshake was refused. Sent to the peer before closing, and logged on both sides.
    public struct Reject: Sendable, Equatable, Error, CustomStringConvertible {
        public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
            public var rawValue: UInt8
            public init(rawValue: UInt8) { self.rawValue = rawValue }
            public static let badMagic = Code(rawValue: 1)
            public static let wrongVersion = Code(rawValue: 2)
            public static let wrongCluster = Code(rawValue: 3)
            public static let unknownNode = Code(rawValue: 4)
            public static let badSecret = Code(rawValue: 5)
            public static let wrongTarget = Code(rawValue: 6)
            public static let protocolViolation = Code(rawValue: 7)
            // 8 was "shutting down", never sent; not reused, so an old peer's code is not misread.
            public static let clientsRefused = Code(rawValue: 9)
            public static let framesMismatch = Code(rawValue: 10)

            public var description: String {
                switch self {
                case .badMagic: "bad magic"
                case .wrongVersion: "wrong protocol version"
                case .wrongCluster: "wrong cluster name"
                case .unknownNode: "unknown node name"
                case .badSecret: "bad secret"
                case .wrongTarget: "wrong target node"
                case .protocolViolation: "protocol violation"
                case .clientsRefused: "clients refused"
                case .framesMismatch: "frame protection mismatch"
                default: "reject code \(self.rawValue)"
                }
            }
        }

        public var code: Code
        public var reason: String

        public init(_ code: Code, _ reason: String) {
            self.code = code
            self.reason = reason
        }

        public var description: String { "\(self.code): \(self.reason)" }

        func encode(into buffer: inout ByteBuffer) {
            buffer.writeInteger(self.code.rawValue)
            buffer.writeWireString(String(self.reason.prefix(512)))
        }

        static func decode(from buffer: inout ByteBuffer) throws -> Reject {
            let reject = Reject(
                Code(rawValue: try buffer.readWireInteger("code")),
                try buffer.readWireString("reason")
            )
            try buffer.expectFullyRead("reject")
            return reject
        }
    }
}
