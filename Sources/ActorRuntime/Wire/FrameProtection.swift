import Crypto
import Foundation
import NIOCore
import NIOFoundationCompat

extension Wire {
    /// What protects frames after the handshake (`[security] frames`). Both ends must be configured alike; the
    /// mode is part of the handshake's proof, so nobody on the path can downgrade it.
    public enum FrameProtection: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        /// Frames as they are: only the handshake is authenticated (loopback, or a trusted network).
        case plain = 0
        /// Every frame carries a ChaCha20-Poly1305 tag over its header and body: a frame injected, altered,
        /// replayed, dropped or reordered on the path closes the connection.
        case authenticated = 1
        /// As `authenticated`, and the body is encrypted too.
        case encrypted = 2

        public var description: String {
            switch self {
            case .plain: "plain"
            case .authenticated: "authenticated"
            case .encrypted: "encrypted"
            }
        }

        public init?(name: String) {
            guard let mode = Self.allCases.first(where: { $0.description == name }) else { return nil }
            self = mode
        }
    }

    /// The two keys of one connection, one per direction, derived from the handshake: HKDF-SHA256 over the
    /// cluster secret, salted with both nonces (fresh per connection), bound to both node names.
    public struct SessionKeys: Sendable, Equatable {
        public var send: SymmetricKey
        public var receive: SymmetricKey

        public static func == (a: SessionKeys, b: SessionKeys) -> Bool {
            func bytes(_ key: SymmetricKey) -> [UInt8] { key.withUnsafeBytes { Array($0) } }
            return bytes(a.send) == bytes(b.send) && bytes(a.receive) == bytes(b.receive)
        }

        static func derive(
            secret: SymmetricKey,
            cluster: String,
            dialer: String,
            acceptor: String,
            dialerNonce: [UInt8],
            acceptorNonce: [UInt8],
            isDialer: Bool
        ) -> SessionKeys {
            var info = ByteBuffer()
            info.writeWireString("sact frame keys v1")
            info.writeWireString(cluster)
            info.writeWireString(dialer)
            info.writeWireString(acceptor)
            let material = HKDF<SHA256>.deriveKey(
                inputKeyMaterial: secret,
                salt: dialerNonce + acceptorNonce,
                info: Array(info.readableBytesView),
                outputByteCount: 64
            )
            let bytes = material.withUnsafeBytes { Array($0) }
            let fromDialer = SymmetricKey(data: bytes[0..<32])
            let fromAcceptor = SymmetricKey(data: bytes[32..<64])
            return isDialer
                ? SessionKeys(send: fromDialer, receive: fromAcceptor)
                : SessionKeys(send: fromAcceptor, receive: fromDialer)
        }
    }

    /// Seals or opens the frames of one direction of a connection. The nonce is a counter that both ends
    /// advance per frame and never send, so a replayed, dropped or reordered frame fails to open.
    ///
    /// `.authenticated` appends HMAC-SHA256 (cut to 16 bytes) over the counter, header and body, from a keyed
    /// template made once; `.encrypted` seals the body with ChaCha20-Poly1305, the header as associated data.
    public final class FrameCipher {
        public static let tagSize = 16
        let mode: FrameProtection
        private let key: SymmetricKey
        private let mac: HMAC<SHA256>
        private var counter: UInt64 = 0

        public init(mode: FrameProtection, key: SymmetricKey) {
            self.mode = mode
            self.key = key
            self.mac = HMAC<SHA256>(key: key)
        }

        private func nextCounter() -> UInt64 {
            defer { self.counter &+= 1 }
            return self.counter
        }

        private static func nonce(_ counter: UInt64) -> ChaChaPoly.Nonce {
            var bytes = [UInt8](repeating: 0, count: 12)
            for i in 0..<8 { bytes[4 + i] = UInt8(truncatingIfNeeded: counter >> (56 - 8 * i)) }
            return try! ChaChaPoly.Nonce(data: bytes)  // 12 bytes: always valid
        }

        /// The 16-byte tag of `.authenticated` over the counter and `frame` (flags, kind, body).
        private func authenticationTag(_ counter: UInt64, _ frame: UnsafeRawBufferPointer) -> [UInt8] {
            var mac = self.mac
            withUnsafeBytes(of: counter.bigEndian) { mac.update(data: $0) }
            mac.update(data: frame)
            return Array(mac.finalize()).prefix(Self.tagSize).map { $0 }
        }

        /// Seals the frame written at `start` in `out` (header and body): encrypts the body in place when the
        /// mode says so, appends the tag, and patches the frame's length.
        func seal(frameAt start: Int, in out: inout ByteBuffer) {
            guard self.mode != .plain else { return }
            let counter = self.nextCounter()
            let bodyStart = start + 6
            let bodyLength = out.writerIndex - bodyStart
            let tag: [UInt8]
            if self.mode == .authenticated {
                tag = out.withUnsafeReadableBytes { bytes in
                    let offset = start + 4 - out.readerIndex
                    return self.authenticationTag(
                        counter, UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + 2 + bodyLength)]))
                }
            } else {
                let box = out.withUnsafeReadableBytes { bytes -> ChaChaPoly.SealedBox in
                    let header = start + 4 - out.readerIndex
                    return try! ChaChaPoly.seal(
                        UnsafeRawBufferPointer(rebasing: bytes[(header + 2)..<(header + 2 + bodyLength)]),
                        using: self.key, nonce: Self.nonce(counter),
                        authenticating: UnsafeRawBufferPointer(rebasing: bytes[header..<(header + 2)]))
                }
                out.setBytes(box.ciphertext, at: bodyStart)
                tag = Array(box.tag)
            }
            out.writeBytes(tag)
            out.setInteger(UInt32(out.writerIndex - start - 4), at: start)
        }

        /// Checks (and decrypts) a received frame's body, which ends with its tag.
        func open(flags: UInt8, kind: UInt8, body: ByteBuffer) throws -> ByteBuffer {
            guard self.mode != .plain else { return body }
            guard body.readableBytes >= Self.tagSize else {
                throw WireError(.badAuthentication, "frame of \(body.readableBytes) bytes is shorter than its tag")
            }
            let counter = self.nextCounter()
            let payloadLength = body.readableBytes - Self.tagSize
            let failure = WireError(
                .badAuthentication, "frame failed authentication (altered, injected, replayed or reordered)")
            if self.mode == .authenticated {
                let valid = body.withUnsafeReadableBytes { bytes -> Bool in
                    var mac = self.mac
                    withUnsafeBytes(of: counter.bigEndian) { mac.update(data: $0) }
                    withUnsafeBytes(of: (flags, kind)) { mac.update(data: $0) }
                    mac.update(data: UnsafeRawBufferPointer(rebasing: bytes[0..<payloadLength]))
                    let expected = Array(mac.finalize()).prefix(Self.tagSize)
                    var difference: UInt8 = 0
                    for (a, b) in zip(expected, bytes[payloadLength...]) { difference |= a ^ b }
                    return difference == 0
                }
                guard valid else { throw failure }
                return body.getSlice(at: body.readerIndex, length: payloadLength)!
            }
            do {
                var combined = Data(capacity: 12 + body.readableBytes)
                Self.nonce(counter).withUnsafeBytes { combined.append(contentsOf: $0) }
                body.withUnsafeReadableBytes { combined.append(contentsOf: $0) }
                let box = try ChaChaPoly.SealedBox(combined: combined)
                let plain = try withUnsafeBytes(of: (flags, kind)) {
                    try ChaChaPoly.open(box, using: self.key, authenticating: $0)
                }
                return ByteBuffer(data: plain)
            } catch {
                throw failure
            }
        }
    }
}
