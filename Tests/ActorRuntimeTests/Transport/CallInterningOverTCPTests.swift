import Distributed
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import ActorRuntime

/// A client that completes a real handshake over TCP (the dialer state machine, a real secret, the node's
/// frame protection), then sends hand-built frames: what a compromised or buggy peer could send.
final class RawPeer: ChannelInboundHandler, @unchecked Sendable {
    // Chunks arrive on the event loop; everything else runs in the one test task that owns the peer.
    typealias InboundIn = ByteBuffer
    private let chunks: AsyncStream<ByteBuffer>.Continuation
    private var iterator: AsyncStream<ByteBuffer>.AsyncIterator
    private var pending = ByteBuffer()
    private var parser = Wire.FrameParser()
    private var serializer = Wire.FrameSerializer(trusted: false)
    private(set) var channel: (any Channel)?

    private init() {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
        self.chunks = continuation
        self.iterator = stream.makeAsyncIterator()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.chunks.yield(Self.unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.chunks.finish()
    }

    /// The next frame from the node, or nil once it closed the connection (or sent something unreadable).
    func next() async -> Wire.Frame? {
        while true {
            do {
                if let frame = try self.parser.next(from: &self.pending) { return frame }
            } catch {
                return nil
            }
            guard var chunk = await self.iterator.next() else { return nil }
            self.pending.writeBuffer(&chunk)
        }
    }

    /// Sends frames, sealed once the handshake set up session keys (unless `sealed` is false).
    func send(_ frames: Wire.Frame..., sealed: Bool = true) async throws {
        var out = ByteBuffer()
        var serializer = self.serializer
        if !sealed { serializer.sealer = nil }
        for frame in frames { serializer.write(frame, into: &out) }
        try await self.channel!.writeAndFlush(out)
    }

    /// Connects to `system` as a client and completes the handshake.
    static func connect(to system: ClusterSystem) async throws -> RawPeer {
        let peer = RawPeer()
        let address = system.boundAddress!
        peer.channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(peer) }
            }
            .connect(host: address.host, port: address.port).get()
        var configuration = system.handshakeConfiguration
        configuration.node = "raw-client"
        configuration.role = .client
        var (machine, hello) = Handshake.dialer(configuration, target: system.node)
        try await peer.send(hello)
        while let frame = await peer.next() {
            switch machine.received(frame) {
            case .send(let frame): try await peer.send(frame)
            case .establish(_, _, let keys):
                if let keys {
                    peer.parser.opener = Wire.FrameCipher(mode: configuration.frames, key: keys.receive)
                    peer.serializer.sealer = Wire.FrameCipher(mode: configuration.frames, key: keys.send)
                }
                return peer
            case let other: throw RuntimeError(.handshakeFailed, "raw handshake failed: \(other)")
            }
        }
        throw RuntimeError(.handshakeFailed, "closed during the raw handshake")
    }

    static func call(_ id: UInt64, _ reference: Wire.TargetReference, method: String = "no-such-method") -> Wire.Frame {
        var body = ByteBuffer()
        Wire.Call(callID: id, recipient: "/service/probe", target: method, arguments: []).encode(
            into: &body, reference: reference)
        return Wire.Frame(kind: .call, body: body)
    }

    /// The next reply, answering heartbeats meanwhile (a peer that stays silent is closed by the node's failure
    /// detector, which a loaded machine can make this test wait long enough to meet).
    func reply() async throws -> Wire.Reply? {
        while let frame = await self.next() {
            // A ping read after the node closed the connection cannot be answered; the close shows as nil next.
            if frame.kind == .ping { try? await self.send(Wire.Frame(kind: .pong, body: frame.body)) }
            guard frame.kind == .reply else { continue }
            var body = frame.body
            return try Wire.Reply.decode(from: &body)
        }
        return nil
    }
}

@Suite struct CallInterningOverTCPTests {
    @Test func aDefinedTargetIsReusedAndAnUndefinedIdClosesOnlyThatConnection() async throws {
        try await withCluster(["a", "b"]) { cluster in
            let b = cluster["b"]
            let probe = b.makeActor(path: "/service/probe") { Probe(actorSystem: b) }
            defer { withExtendedLifetime(probe) {} }
            let peer = try await RawPeer.connect(to: b)
            // A definition and a use of it both reach dispatch (and fail there: the method does not exist).
            try await peer.send(RawPeer.call(1, .define), RawPeer.call(2, .use(0)))
            for expected: UInt64 in [1, 2] {
                let reply = try #require(try await peer.reply())
                #expect(reply.callID == expected)
                guard case .error(let error) = reply.outcome else { Issue.record("\(reply)"); return }
                #expect(error.code == "bad_call", "\(error)")
            }
            // An id never defined closes the connection without a reply.
            try await peer.send(RawPeer.call(3, .use(7)))
            #expect(try await peer.reply() == nil)
            // Everyone else is still served.
            let remote = try Probe.resolve(id: probe.id, using: cluster["a"])
            try await remote.bump()
            #expect(await probe.whenLocal { $0.calls } == 1)
        }
    }

    @Test func repeatedCallsSendNoNamesAndRegisteredMethodsSkipTheGenericPath() async throws {
        try await withCluster(["a", "b"]) { cluster in
            let (a, b) = (cluster["a"], cluster["b"])
            let probe = b.makeActor(path: "/service/probe") { Probe(actorSystem: b) }
            defer { withExtendedLifetime(probe) {} }
            b.registerDirectMethod("size(of:)", of: Probe.self) { probe, text in try await probe.size(of: text) }
            let remote = try Probe.resolve(id: probe.id, using: a)
            var sizes: [Int] = []
            for _ in 0..<3 {
                let before = a.transportStats.snapshot.bytesSent
                #expect(try await remote.size(of: "12345") == 5)
                sizes.append(a.transportStats.snapshot.bytesSent - before)
            }
            // The first call carries the recipient and the mangled name; the others an id (heartbeats may add
            // a 22-byte ping to any of them).
            #expect(sizes[0] - min(sizes[1], sizes[2]) >= 40, "\(sizes)")
            #expect(b.transportStats.snapshot.callsDirect == 3)
            // Methods not registered take the generic path, with the same results and errors.
            #expect(try await remote.greet("x", times: 1) == "hello x")
            await #expect(throws: RuntimeError.self) { _ = try await remote.reserve("p") }
            #expect(b.transportStats.snapshot.callsGeneric >= 2)
        }
    }

    @Test func aDirectMethodThrowsLikeTheGenericPath() async throws {
        try await withCluster(["a", "b", "c"]) { cluster in
            let b = cluster["b"]
            let probe = b.makeActor(path: "/service/probe") { Probe(actorSystem: b) }
            defer { withExtendedLifetime(probe) {} }
            var generic: RuntimeError?
            do { _ = try await Probe.resolve(id: probe.id, using: cluster["a"]).reserve("p-1") } catch let error
                as RuntimeError
            {
                generic = error
            }
            // Targets resolve once per connection, when defined: c's first call comes after the registration.
            b.registerDirectMethod("reserve(_:)", of: Probe.self) { probe, product in try await probe.reserve(product) }
            var direct: RuntimeError?
            do { _ = try await Probe.resolve(id: probe.id, using: cluster["c"]).reserve("p-1") } catch let error
                as RuntimeError
            {
                direct = error
            }
            #expect(generic != nil && direct?.code == generic?.code && direct?.message == generic?.message)
            #expect(b.transportStats.snapshot.callsDirect == 1)
            #expect(b.transportStats.snapshot.callsGeneric == 1)
        }
    }
}
