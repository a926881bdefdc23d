import NIOCore
import NIOPosix

/// The transport benchmark's baseline: a plain SwiftNIO length-prefixed echo over one loopback connection,
/// with the same payload size and number of requests in flight. It does no routing, no serialization and
/// no authentication: the cost of the bytes alone.
enum NIOEchoBaseline {
    struct Result {
        var roundTrips: Int
        var latency: LatencyRecorder
        var seconds: Double
    }

    static func run(payload: Int, concurrency: Int, seconds: Double, group: any EventLoopGroup) async throws -> Result {
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LengthPrefixDecoder()))
                    try channel.pipeline.syncOperations.addHandler(EchoServerHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        defer { server.close(promise: nil) }

        let done = group.next().makePromise(of: Result.self)
        let client = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LengthPrefixDecoder()))
                    try channel.pipeline.syncOperations.addHandler(
                        EchoClientHandler(payload: payload, concurrency: concurrency, seconds: seconds, done: done)
                    )
                }
            }
            .connect(to: server.localAddress!)
            .get()
        defer { client.close(promise: nil) }
        return try await done.futureResult.get()
    }
}

/// `UInt32 length | body` frames.
private struct LengthPrefixDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
            buffer.readableBytes >= 4 + Int(length)
        else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        context.fireChannelRead(Self.wrapInboundOut(buffer.readSlice(length: Int(length))!))
        return .continue
    }
}

private final class EchoServerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var body = Self.unwrapInboundIn(data)
        var out = context.channel.allocator.buffer(capacity: body.readableBytes + 4)
        out.writeInteger(UInt32(body.readableBytes))
        out.writeBuffer(&body)
        context.write(Self.wrapOutboundOut(out), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}

private final class EchoClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let request: ByteBuffer
    private let concurrency: Int
    private let seconds: Double
    private let done: EventLoopPromise<NIOEchoBaseline.Result>
    private var sentAt: CircularBuffer<UInt64> = []
    private var latency = LatencyRecorder()
    private var start: UInt64 = 0
    private var deadline: UInt64 = 0

    init(payload: Int, concurrency: Int, seconds: Double, done: EventLoopPromise<NIOEchoBaseline.Result>) {
        var request = ByteBuffer()
        request.writeInteger(UInt32(payload))
        request.writeRepeatingByte(0x61, count: payload)
        self.request = request
        self.concurrency = concurrency
        self.seconds = seconds
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        self.start = NIODeadline.now().uptimeNanoseconds
        self.deadline = self.start + UInt64(self.seconds * 1e9)
        for _ in 0..<self.concurrency { self.send(context: context) }
        context.flush()
    }

    private func send(context: ChannelHandlerContext) {
        self.sentAt.append(NIODeadline.now().uptimeNanoseconds)
        context.write(Self.wrapOutboundOut(self.request), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = NIODeadline.now().uptimeNanoseconds
        let sent = self.sentAt.removeFirst()
        self.latency.record(nanoseconds: now - sent)
        if now < self.deadline {
            self.send(context: context)
        } else if self.sentAt.isEmpty {
            self.done.succeed(
                NIOEchoBaseline.Result(
                    roundTrips: self.latency.count,
                    latency: self.latency,
                    seconds: Double(now - self.start) / 1e9
                )
            )
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}
