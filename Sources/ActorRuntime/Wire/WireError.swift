/// A violation of the wire protocol by the bytes received. The connection that produced it is closed.
public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case frameTooShort, frameTooLarge, unknownFlags, unknownKind, inflateFailed,
                inflatedTooLarge, malformedBody, beforeHandshake, badAuthentication
        }
        private let base: Base
        public static let frameTooShort = Code(base: .frameTooShort)
        public static let frameTooLarge = Code(base: .frameTooLarge)
        public static let unknownFlags = Code(base: .unknownFlags)
        public static let unknownKind = Code(base: .unknownKind)
        public static let inflateFailed = Code(base: .inflateFailed)
        public static let inflatedTooLarge = Code(base: .inflatedTooLarge)
        public static let malformedBody = Code(base: .malformedBody)
        /// Something only a proven peer may send (a large or compressed frame) arrived before the handshake.
        public static let beforeHandshake = Code(base: .beforeHandshake)
        /// A frame after the handshake failed its session-key tag.
        public static let badAuthentication = Code(base: .badAuthentication)
        public var description: String { self.base.rawValue }
    }

    public var code: Code
    /// What was wrong, safe to log (never contains payload bytes).
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(self.code): \(self.reason)" }

    static func malformed(_ reason: String) -> WireError { WireError(.malformedBody, reason) }
}
