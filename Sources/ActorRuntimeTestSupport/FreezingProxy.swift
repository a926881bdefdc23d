import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy on loopback that can go silent: while frozen it keeps every socket open but forwards nothing,
/// the way a dead switch or a hung process looks to the nodes on either side.
public final class FreezingProxy: Sendable {
    private let frozen = Atomic<Bool>(false)
    private let server: any Channel

    public var port: Int { self.server.localAddress!.port! }

    private init(server: any Channel, frozen: Bool) {
        self.server = server
    }

    /// - Parameter host: where it listens (default loopback; a bridge address lets network namespaces in).
    public static func start(to target: SocketAddress, host: String = "127.0.0.1") async throws -> FreezingProxy {
        let frozenBox = FrozenBox()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                let outboundFuture = ClientBootstrap(group: inbound.eventLoop)
                    .channelInitializer { outbound in
                        outbound.eventLoop.makeCompletedFuture {
                            try outbound.pipeline.syncOperations.addHandler(Forwarder(peer: inbound, box: frozenBox))
                        }
                    }
                    .connect(to: target)
                return outboundFuture.flatMap { outbound in
                    inbound.eventLoop.makeCompletedFuture {
                        // The child is registered (and starts reading) only once this future completes.
                        try inbound.pipeline.syncOperations.addHandler(Forwarder(peer: outbound, box: frozenBox))
                    }
                }
            }
            .bind(host: host, port: 0)
            .get()
        let proxy = FreezingProxy(server: server, frozen: false)
        frozenBox.proxy.withLock { $0 = proxy }
        return proxy
    }

    public func freeze() { self.frozen.store(true, ordering: .relaxed) }
    public func thaw() { self.frozen.store(false, ordering: .relaxed) }
    public var isFrozen: Bool { self.frozen.load(ordering: .relaxed) }

    public func close() async {
        try? await self.server.close()
    }
}

/// Lets handlers created before the proxy object exists find it.
private final class FrozenBox: Sendable {
    let proxy = Mutex<FreezingProxy?>(nil)
    var isFrozen: Bool { self.proxy.withLock { $0?.isFrozen ?? false } }
}

private final class Forwarder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let peer: any Channel
    private let box: FrozenBox

    init(peer: any Channel, box: FrozenBox) {
        self.peer = peer
        self.box = box
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.box.isFrozen else { return }  // swallowed: nothing reaches the other side
        self.peer.writeAndFlush(Self.unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.peer.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
