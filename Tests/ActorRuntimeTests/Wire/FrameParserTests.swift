import ActorRuntimeTestSupport
import NIOCore
import NIOTestUtils
import Testing

@testable import ActorRuntime

@Suite struct FrameParserTests {
    private func encode(_ frames: [Wire.Frame], limits: Wire.Limits = Wire.Limits()) -> ByteBuffer {
        let serializer = Wire.FrameSerializer(limits: limits)
        var out = ByteBuffer()
        for frame in frames { serializer.write(frame, into: &out) }
        return out
    }

    private func frame(_ kind: Wire.Kind, _ text: String) -> Wire.Frame {
        Wire.Frame(kind: kind, body: ByteBuffer(string: text))
    }

    @Test func roundTripsFramesOfEveryKind() throws {
        let frames = [
            self.frame(.call, "hello"), self.frame(.reply, ""), self.frame(.ping, "12345678abcdefgh"),
            Wire.Frame(kind: .call, body: ByteBuffer(repeating: 0x41, count: 5000)),
        ]
        var bytes = self.encode(frames)
        let parser = Wire.FrameParser()
        var decoded: [Wire.Frame] = []
        while let frame = try parser.next(from: &bytes) { decoded.append(frame) }
        #expect(decoded == frames)
        #expect(bytes.readableBytes == 0)
    }

    @Test func decodesBytesSplitAtEveryBoundary() throws {
        let frames = [
            self.frame(.call, "first"),
            Wire.Frame(kind: .reply, body: ByteBuffer(repeating: 7, count: 3000)),  // deflated
            self.frame(.pong, "x"),
        ]
        let wire = self.encode(frames)
        var pairs: [(ByteBuffer, [Wire.Frame])] = []
        pairs.append((wire, frames))
        // NIO's verifier feeds the input whole, byte by byte and in every split, and checks the output.
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: pairs,
            decoderFactory: {
                let trust = ConnectionTrust()
                trust.established = true  // after the handshake: large and deflated frames are fine
                return FrameDecoder(limits: Wire.Limits(), stats: TransportStats(), trust: trust)
            }
        )
    }

    @Test func beforeTheHandshakeFramesAreSmallAndNeverCompressed() throws {
        var big = ByteBuffer()
        Wire.FrameSerializer().write(Wire.Frame(kind: .hello, body: ByteBuffer(repeating: 1, count: 5000)), into: &big)
        #expect(throws: WireError.self) { _ = try Wire.FrameParser(trusted: false).next(from: &big) }
        // 3000 repetitive bytes deflate to a small frame: still refused before trust, accepted after.
        var deflated = ByteBuffer()
        #expect(
            Wire.FrameSerializer().write(
                Wire.Frame(kind: .reply, body: ByteBuffer(repeating: 7, count: 3000)), into: &deflated))
        var copy = deflated
        #expect(throws: WireError.self) { _ = try Wire.FrameParser(trusted: false).next(from: &copy) }
        #expect(try Wire.FrameParser(trusted: true).next(from: &deflated)?.body.readableBytes == 3000)
        // And nothing is compressed for a peer that is not yet trusted.
        var plain = ByteBuffer()
        #expect(
            !Wire.FrameSerializer(trusted: false).write(
                Wire.Frame(kind: .reply, body: ByteBuffer(repeating: 7, count: 3000)), into: &plain))
    }

    @Test func rejectsLengthOverTheCapBeforeBuffering() throws {
        var limits = Wire.Limits()
        limits.maxFrameLength = 1024
        var bytes = ByteBuffer()
        bytes.writeInteger(UInt32(1025))
        bytes.writeInteger(UInt8(0))
        bytes.writeInteger(Wire.Kind.call.rawValue)  // only 6 bytes present: rejected from the header alone
        #expect(throws: WireError(.frameTooLarge, "frame length 1025 exceeds 1024")) {
            _ = try Wire.FrameParser(limits: limits).next(from: &bytes)
        }
    }

    @Test func rejectsTooShortUnknownKindAndUnknownFlags() throws {
        let parser = Wire.FrameParser()
        var short = ByteBuffer(bytes: [0, 0, 0, 1, 0])
        #expect(throws: WireError.self) { _ = try parser.next(from: &short) }
        var unknownKind = ByteBuffer(bytes: [0, 0, 0, 2, 0, 99])
        #expect(throws: WireError(.unknownKind, "unknown frame kind 99")) { _ = try parser.next(from: &unknownKind) }
        var unknownFlags = ByteBuffer(bytes: [0, 0, 0, 2, 0x80, Wire.Kind.call.rawValue])
        #expect(throws: WireError.self) { _ = try parser.next(from: &unknownFlags) }
    }

    @Test func stopsAZlibBombAtTheInflateCap() throws {
        // 64 MiB of zeros deflate to under 1% of that; the cap is 1 MiB.
        var limits = Wire.Limits()
        limits.maxInflatedLength = 1 << 20
        let bomb = ByteBuffer(repeating: 0, count: 64 << 20)
        var compressed = ByteBuffer()
        #expect(ZlibDeflater().deflate(bomb, into: &compressed))
        #expect(compressed.readableBytes < bomb.readableBytes / 100)
        var bytes = ByteBuffer()
        bytes.writeInteger(UInt32(compressed.readableBytes + 2))
        bytes.writeInteger(Wire.Flags.deflated.rawValue)
        bytes.writeInteger(Wire.Kind.call.rawValue)
        bytes.writeBuffer(&compressed)
        #expect(throws: WireError(.inflatedTooLarge, "inflated body exceeds 1048576 bytes")) {
            _ = try Wire.FrameParser(limits: limits).next(from: &bytes)
        }
    }

    @Test func rejectsCorruptAndTruncatedDeflatedBodies() throws {
        let parser = Wire.FrameParser()
        var garbage = ByteBuffer(bytes: [0, 0, 0, 6, 1, Wire.Kind.call.rawValue, 1, 2, 3, 4])
        #expect(throws: WireError.self) { _ = try parser.next(from: &garbage) }

        var compressed = ByteBuffer()
        #expect(ZlibDeflater().deflate(ByteBuffer(repeating: 1, count: 4096), into: &compressed))
        let truncated = compressed.getSlice(at: compressed.readerIndex, length: compressed.readableBytes - 4)!
        var bytes = ByteBuffer()
        bytes.writeInteger(UInt32(truncated.readableBytes + 2))
        bytes.writeInteger(UInt8(1))
        bytes.writeInteger(Wire.Kind.call.rawValue)
        bytes.writeImmutableBuffer(truncated)
        #expect(throws: WireError.self) { _ = try parser.next(from: &bytes) }
    }

    /// 10,000 seeded random byte strings, raw and behind a valid header: the parser returns or throws,
    /// never traps, and the message decoders behind it do the same.
    @Test func survivesRandomBytes() throws {
        var rng = SeededGenerator(seed: 0x5EED)
        let parser = Wire.FrameParser()
        var frames = 0
        var errors = 0
        for round in 0..<10_000 {
            let count = Int.random(in: 0...300, using: &rng)
            var bytes = ByteBuffer(bytes: (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) })
            if round % 2 == 1 {
                // A plausible header makes the random part reach the body decoders.
                var framed = ByteBuffer()
                framed.writeInteger(UInt32(bytes.readableBytes + 2))
                framed.writeInteger(UInt8(round % 4 == 1 ? 0 : 1))
                framed.writeInteger([1, 2, 3, 4, 5, 10, 11, 12, 13, 14][round % 10] as UInt8)
                framed.writeBuffer(&bytes)
                bytes = framed
            }
            do {
                while let frame = try parser.next(from: &bytes) {
                    frames += 1
                    try? Self.decodeBody(frame)
                }
            } catch is WireError {
                errors += 1
            }
        }
        #expect(frames + errors > 5_000)
    }

    static func decodeBody(_ frame: Wire.Frame) throws {
        var body = frame.body
        switch frame.kind {
        case .hello: _ = try Wire.Hello.decode(from: &body)
        case .challenge: _ = try Wire.Challenge.decode(from: &body)
        case .proof: _ = try Wire.Proof.decode(from: &body)
        case .reject: _ = try Wire.Reject.decode(from: &body)
        case .call: _ = try Wire.Call.decode(from: &body)
        case .reply: _ = try Wire.Reply.decode(from: &body)
        case .ping, .pong: _ = try Wire.Ping.decode(from: &body)
        default: break
        }
    }

    @Test func compressesOnlyAboveTheThresholdAndWhenSmaller() {
        let serializer = Wire.FrameSerializer()
        var out = ByteBuffer()
        #expect(!serializer.write(Wire.Frame(kind: .call, body: ByteBuffer(repeating: 1, count: 100)), into: &out))
        #expect(serializer.write(Wire.Frame(kind: .call, body: ByteBuffer(repeating: 1, count: 65536)), into: &out))
        var rng = SeededGenerator(seed: 1)
        let noise = ByteBuffer(bytes: (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) })
        #expect(!serializer.write(Wire.Frame(kind: .call, body: noise), into: &out))
    }

    @Test func messagesRoundTrip() throws {
        let call = Wire.Call(
            callID: 42,
            recipient: "/service/order",
            target: "$s4main7GreeterC5greetyS2SF",
            genericSubstitutions: ["Si"],
            arguments: [ByteBuffer(string: "\"a\""), ByteBuffer()]
        )
        var body = Wire.Frame.call(call).body
        #expect(try Wire.Call.decode(from: &body) == call)
        for outcome in [
            Wire.Reply.Outcome.value(ByteBuffer(string: "1")), .void,
            .error(RemoteError(code: "c", message: "m", errorType: "T")),
        ] {
            var body = Wire.Frame.reply(Wire.Reply(callID: 7, outcome: outcome)).body
            #expect(try Wire.Reply.decode(from: &body) == Wire.Reply(callID: 7, outcome: outcome))
        }
        var trailing = Wire.Frame.ping(Wire.Ping(sequence: 1, sentAtNanos: 2)).body
        trailing.writeInteger(UInt8(0))
        #expect(throws: WireError.self) { _ = try Wire.Ping.decode(from: &trailing) }
    }
}
