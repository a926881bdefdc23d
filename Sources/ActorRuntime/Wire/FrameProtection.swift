import Crypto
import Foundation
import NIOCore

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
    public final class FrameCipher {
        public static let tagSize = 16
        let mode: FrameProtection
        private let key: SymmetricKey
        private var counter: UInt64 = 0

        public init(mode: FrameProtection, key: SymmetricKey) {
            self.mode = mode
            self.key = key
        }

        private func nextNonce() -> ChaChaPoly.Nonce {
            var bytes = [UInt8](repeating: 0, count: 12)
            let value = self.counter
            self.counter &+= 1
            for i in 0..<8 { bytes[4 + i] = UInt8(truncatingIfNeeded: value >> (56 - 8 * i)) }
            return try! ChaChaPoly.Nonce(data: bytes)  // 12 bytes: always valid
        }

        /// Seals the frame written at `start` in `out` (header and body): encrypts the body in place when the
        /// mode says so, appends the tag, and patches the frame's length.
        func seal(frameAt start: Int, in out: inout ByteBuffer) {
            let header = out.getBytes(at: start + 4, length: 2)!  // flags and kind
            let bodyStart = start + 6
            let bodyLength = out.writerIndex - bodyStart
            let nonce = self.nextNonce()
            let tag: Data
            switch self.mode {
            case .plain:
                return
            case .authenticated:
                let body = out.getBytes(at: bodyStart, length: bodyLength)!
                let box = try! ChaChaPoly.seal(Data(), using: self.key, nonce: nonce, authenticating: header + body)
                tag = box.tag
            case .encrypted:
                let body = out.getBytes(at: bodyStart, length: bodyLength)!
                let box = try! ChaChaPoly.seal(body, using: self.key, nonce: nonce, authenticating: header)
                out.setBytes(box.ciphertext, at: bodyStart)
                tag = box.tag
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
            let payloadLength = body.readableBytes - Self.tagSize
            let payload = body.getBytes(at: body.readerIndex, length: payloadLength)!
            let tag = body.getBytes(at: body.readerIndex + payloadLength, length: Self.tagSize)!
            let nonce = self.nextNonce()
            do {
                switch self.mode {
                case .plain:
                    return body
                case .authenticated:
                    let box = try ChaChaPoly.SealedBox(nonce: nonce, ciphertext: Data(), tag: tag)
                    _ = try ChaChaPoly.open(box, using: self.key, authenticating: [flags, kind] + payload)
                    return body.getSlice(at: body.readerIndex, length: payloadLength)!
                case .encrypted:
                    let box = try ChaChaPoly.SealedBox(nonce: nonce, ciphertext: payload, tag: tag)
                    let plain = try ChaChaPoly.open(box, using: self.key, authenticating: [flags, kind])
                    return ByteBuffer(bytes: plain)
                }
            } catch {
                throw WireError(.badAuthentication, "frame failed authentication (altered, injected, replayed or reordered)")
            }
        }
    }
}
