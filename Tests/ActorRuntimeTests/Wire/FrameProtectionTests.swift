import Crypto
import NIOCore
import Testing

@testable import ActorRuntime

/// Frames after the handshake carry a tag under a per-connection, per-direction key (and are encrypted in
/// `.encrypted` mode): anything altered, injected, replayed or reordered fails to open.
@Suite struct FrameProtectionTests {
    static let key = SymmetricKey(data: [UInt8](repeating: 5, count: 32))

    static func frames() -> [Wire.Frame] {
        [
            Wire.Frame(kind: .call, body: ByteBuffer(string: "a call with a recognisable body")),
            Wire.Frame(kind: .reply, body: ByteBuffer(repeating: 0x61, count: 4000)),  // deflated first
            Wire.Frame(kind: .ping, body: ByteBuffer()),
        ]
    }

    static func seal(_ mode: Wire.FrameProtection, _ frames: [Wire.Frame]) -> [ByteBuffer] {
        var serializer = Wire.FrameSerializer()
        serializer.sealer = Wire.FrameCipher(mode: mode, key: Self.key)
        return frames.map { frame in
            var out = ByteBuffer()
            serializer.write(frame, into: &out)
            return out
        }
    }

    static func open(_ mode: Wire.FrameProtection, _ wire: [ByteBuffer]) throws -> [Wire.Frame] {
        var parser = Wire.FrameParser()
        parser.opener = Wire.FrameCipher(mode: mode, key: Self.key)
        return try wire.map { bytes in
            var bytes = bytes
            return try #require(try parser.next(from: &bytes))
        }
    }

    @Test(arguments: [Wire.FrameProtection.authenticated, .encrypted])
    func sealedFramesRoundTripAndCarryATag(mode: Wire.FrameProtection) throws {
        let wire = Self.seal(mode, Self.frames())
        #expect(try Self.open(mode, wire) == Self.frames())
        let plain = Self.seal(.plain, Self.frames())
        #expect(zip(wire, plain).allSatisfy { $0.readableBytes == $1.readableBytes + Wire.FrameCipher.tagSize })
        let text = Array("recognisable".utf8)
        let bytes = Array(wire[0].readableBytesView)
        let visible = (0...(bytes.count - text.count)).contains { Array(bytes[$0..<($0 + text.count)]) == text }
        #expect(visible == (mode == .authenticated))
    }

    @Test(arguments: [Wire.FrameProtection.authenticated, .encrypted])
    func anyAlteredInjectedReplayedOrReorderedFrameFailsToOpen(mode: Wire.FrameProtection) throws {
        let wire = Self.seal(mode, Self.frames())
        func fails(_ sequence: [ByteBuffer]) -> Bool {
            do { _ = try Self.open(mode, sequence); return false } catch let error as WireError {
                return error.code == .badAuthentication
            } catch { return false }
        }
        // Every single-bit flip past the length field (flags, kind, body, tag).
        for index in 4..<wire[0].readableBytes {
            var altered = wire[0]
            altered.setInteger(altered.getInteger(at: index, as: UInt8.self)! ^ 0x10, at: index)
            let flags = altered.getInteger(at: 4, as: UInt8.self)!
            let kind = Wire.Kind(rawValue: altered.getInteger(at: 5, as: UInt8.self)!)
            guard flags & ~1 == 0, kind.isKnown else { continue }  // refused earlier, as unknown
            #expect(fails([altered]), "bit flip at \(index)")
        }
        #expect(fails([wire[1], wire[0]]))  // reordered
        #expect(fails([wire[0], wire[0]]))  // replayed
        #expect(fails(Self.seal(.plain, [Self.frames()[0]])))  // injected without a tag
        // A frame sealed under another key (another connection's, or the other direction's).
        var other = Wire.FrameSerializer()
        other.sealer = Wire.FrameCipher(mode: mode, key: SymmetricKey(data: [UInt8](repeating: 6, count: 32)))
        var forged = ByteBuffer()
        other.write(Self.frames()[0], into: &forged)
        #expect(fails([forged]))
    }

    @Test func bothSidesDeriveTheSameKeysPerDirectionAndAMismatchedModeIsRefused() {
        let dialer = HandshakeTests.config("a", frames: .encrypted)
        let acceptor = HandshakeTests.config("b", frames: .encrypted)
        let (d, a) = HandshakeTests.run(dialer: dialer, acceptor: acceptor)
        guard case .establish(_, _, let dialerKeys?) = d, case .establish(_, _, let acceptorKeys?) = a else {
            Issue.record("no keys: \(String(describing: d)) / \(String(describing: a))")
            return
        }
        #expect(dialerKeys.send == acceptorKeys.receive && dialerKeys.receive == acceptorKeys.send)
        #expect(dialerKeys.send != dialerKeys.receive)
        // Fresh nonces, fresh keys.
        guard case .establish(_, _, let again?) = HandshakeTests.run(dialer: dialer, acceptor: acceptor).0 else {
            Issue.record("second handshake failed")
            return
        }
        #expect(again.send != dialerKeys.send)

        let (_, refused) = HandshakeTests.run(dialer: HandshakeTests.config("a", frames: .plain), acceptor: acceptor)
        guard case .reject(let reject) = refused else {
            Issue.record("a plain dialer was not refused: \(String(describing: refused))")
            return
        }
        #expect(reject.code == .framesMismatch)
    }
}
