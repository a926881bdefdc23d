import NIOCore

/// Whether a connection's peer has completed the handshake: set by `ConnectionHandler`, read by the frame
/// codecs of the same channel (all on its event loop). Until then frames are small and never compressed.
final class ConnectionTrust {
    var established = false
    /// Set with `established` when frames are authenticated or encrypted (`[security] frames`).
    var sendCipher: Wire.FrameCipher?
    var receiveCipher: Wire.FrameCipher?
}

/// Turns inbound bytes into `Wire.Frame`s. Any violation is thrown, which closes the connection.
final class FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = Wire.Frame
    private var parser: Wire.FrameParser
    private let stats: TransportStats
    private let trust: ConnectionTrust

    init(limits: Wire.Limits, stats: TransportStats, trust: ConnectionTrust) {
        self.parser = Wire.FrameParser(limits: limits, trusted: false)
        self.stats = stats
        self.trust = trust
    }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        self.parser.trusted = self.trust.established
        self.parser.opener = self.trust.receiveCipher
        let before = buffer.readableBytes
        guard let frame = try self.parser.next(from: &buffer) else { return .needMoreData }
        self.stats.received(bytes: before - buffer.readableBytes)
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // Bytes of an incomplete frame at EOF are dropped: the peer went away mid-frame.
        while try self.decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Serialises outbound batches into one buffer each (one `write` per batch), deflating large bodies once the
/// peer is proven, and interning call targets in the order the calls reach the socket.
final class FrameEncoder: MessageToByteEncoder {
    typealias OutboundIn = [Wire.Outbound]
    private var serializer: Wire.FrameSerializer
    private var interner = Wire.TargetInterner()
    private let stats: TransportStats
    private let trust: ConnectionTrust

    init(limits: Wire.Limits, stats: TransportStats, trust: ConnectionTrust) {
        self.serializer = Wire.FrameSerializer(limits: limits, trusted: false)
        self.stats = stats
        self.trust = trust
    }

    func encode(data: [Wire.Outbound], out: inout ByteBuffer) throws {
        self.serializer.trusted = self.trust.established
        self.serializer.sealer = self.trust.sendCipher
        for outbound in data {
            let before = out.writerIndex
            let deflated = self.serializer.write(outbound, interner: &self.interner, into: &out)
            self.stats.sent(bytes: out.writerIndex - before, deflated: deflated)
        }
    }
}
