import NIOCore

/// Namespace for everything that travels on a cluster connection.
///
/// Every frame is `UInt32 length (big-endian) | UInt8 flags | UInt8 kind | body`, where `length` counts the
/// flags byte, the kind byte and the body. Flag bit 0 means the body is zlib-deflated.
public enum Wire {
    /// The protocol version this build speaks. A peer with another version is refused during the handshake.
    /// 2: the acceptor proves the secret last (in `welcome`), after the dialer. 3: call targets are interned.
    public static let protocolVersion: UInt16 = 3

    /// The first four bytes of every hello: "SACT" (Swift actor cluster transport).
    public static let magic: UInt32 = 0x5341_4354
}

extension Wire {
    /// What a frame carries. Handshake kinds are valid only before the handshake completes; the others only after.
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        public static let hello = Kind(rawValue: 1)
        public static let challenge = Kind(rawValue: 2)
        public static let proof = Kind(rawValue: 3)
        public static let welcome = Kind(rawValue: 4)
        public static let reject = Kind(rawValue: 5)
        public static let call = Kind(rawValue: 10)
        public static let reply = Kind(rawValue: 11)
        public static let ping = Kind(rawValue: 12)
        public static let pong = Kind(rawValue: 13)
        public static let goodbye = Kind(rawValue: 14)

        var isHandshake: Bool { (1...5).contains(self.rawValue) }
        var isKnown: Bool { self.isHandshake || (10...14).contains(self.rawValue) }

        public var description: String {
            switch self {
            case .hello: "hello"
            case .challenge: "challenge"
            case .proof: "proof"
            case .welcome: "welcome"
            case .reject: "reject"
            case .call: "call"
            case .reply: "reply"
            case .ping: "ping"
            case .pong: "pong"
            case .goodbye: "goodbye"
            default: "kind(\(self.rawValue))"
            }
        }
    }

    /// One decoded frame: its kind and its (already inflated) body.
    public struct Frame: Sendable, Equatable {
        public var kind: Kind
        public var body: ByteBuffer

        public init(kind: Kind, body: ByteBuffer) {
            self.kind = kind
            self.body = body
        }
    }

    /// Flag bits of the frame header.
    struct Flags: OptionSet {
        var rawValue: UInt8
        static let deflated = Flags(rawValue: 1 << 0)
        static let known: Flags = [.deflated]
    }

    /// Size limits and the compression policy of the wire.
    public struct Limits: Sendable, Equatable {
        /// Largest accepted frame length (flags + kind + body, as sent). Defaults to 16 MiB.
        public var maxFrameLength: Int = 16 << 20
        /// Largest accepted body after inflation. Defaults to 16 MiB.
        public var maxInflatedLength: Int = 16 << 20
        /// Bodies of at least this many bytes are deflated, and sent so only if that makes them smaller.
        /// Defaults to 1 KiB.
        public var compressionThreshold: Int = 1024
        /// Largest frame accepted before the handshake completes (a hello is under 300 bytes). Defaults to
        /// 4 KiB; compressed frames are refused then too.
        public var maxHandshakeFrameLength: Int = 4096

        public init() {}
    }
}
