import NIOCore

/// Turns inbound bytes into `Wire.Frame`s. Any violation is thrown, which closes the connection.
final class FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = Wire.Frame
    private let parser: Wire.FrameParser
    private let stats: TransportStats

    init(limits: Wire.Limits, stats: TransportStats) {
        self.parser = Wire.FrameParser(limits: limits)
        self.stats = stats
    }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
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

/// Serialises outbound batches of `Wire.Frame`s into one buffer each (one `write` per batch), deflating large
/// bodies.
final class FrameEncoder: MessageToByteEncoder {
    typealias OutboundIn = [Wire.Frame]
    private let serializer: Wire.FrameSerializer
    private let stats: TransportStats

    init(limits: Wire.Limits, stats: TransportStats) {
        self.serializer = Wire.FrameSerializer(limits: limits)
        self.stats = stats
    }

    func encode(data: [Wire.Frame], out: inout ByteBuffer) throws {
        for frame in data {
            let before = out.writerIndex
            let deflated = self.serializer.write(frame, into: &out)
            self.stats.sent(bytes: out.writerIndex - before, deflated: deflated)
        }
    }
}
