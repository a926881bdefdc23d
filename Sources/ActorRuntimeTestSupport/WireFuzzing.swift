import ActorRuntime
import Crypto
import NIOCore

/// What the libFuzzer target (`Sources/FrameFuzz`) and the corpus regression test feed arbitrary bytes to:
/// the frame parser (as before and after a handshake), every frame it yields to both sides of the handshake,
/// and the call, reply and binary decoders that run once a peer is proven. Any crash, trap or hang here
/// is a bug; errors are the expected outcome for garbage.
public enum WireFuzzing {
    static let limits: Wire.Limits = {
        var limits = Wire.Limits()
        // Small caps keep each run fast; the logic is the same as with the defaults.
        limits.maxFrameLength = 64 << 10
        limits.maxInflatedLength = 256 << 10
        return limits
    }()

    static func configuration(_ node: String) -> Handshake.Configuration {
        Handshake.Configuration(
            cluster: "fuzz", node: node, role: .member,
            secret: SymmetricKey(data: Array("fuzz-secret-0123456789".utf8)),
            incarnation: 1, startedAtMillis: 0, members: ["a", "b"])
    }

    public static func feed(_ bytes: UnsafeRawBufferPointer) {
        // As a stranger's bytes (before any handshake: small frames, no compression) ...
        var untrusted = ByteBuffer(bytes: bytes)
        let strangerParser = Wire.FrameParser(limits: Self.limits, trusted: false)
        for _ in 0..<1000 { guard (try? strangerParser.next(from: &untrusted)) ?? nil != nil else { break } }
        // ... and as a proven peer's: every frame also goes through the decoders that run after the handshake.
        var buffer = ByteBuffer(bytes: bytes)
        let parser = Wire.FrameParser(limits: Self.limits)
        var acceptor = Handshake.acceptor(
            Self.configuration("b"), nonce: Array(repeating: 7, count: Handshake.nonceSize))
        var (dialer, _) = Handshake.dialer(
            Self.configuration("a"), target: "b", nonce: Array(repeating: 9, count: Handshake.nonceSize))
        var connection = WireFuzzEntry.Connection()
        var frames = 0
        while frames < 1000 {
            guard let frame = try? parser.next(from: &buffer) else { return }  // incomplete or refused
            _ = acceptor.received(frame)
            _ = dialer.received(frame)
            connection.decode(frame)
            frames += 1
        }
    }

    public static func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { Self.feed($0) }
    }
}
