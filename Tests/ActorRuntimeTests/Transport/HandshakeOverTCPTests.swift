import ActorRuntimeTestSupport
import Crypto
import Distributed
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import ActorRuntime

/// Sends raw bytes to a node and collects everything it answers until it closes the connection.
func exchangeRaw(with address: NodeAddress, _ bytes: ByteBuffer) async throws -> ByteBuffer {
    let collector = ByteCollector()
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
        }
        .connect(host: address.host, port: address.port)
        .get()
    try await channel.writeAndFlush(bytes)
    // The node must close on us; if it does not within 5 s, fail rather than hang.
    let closed = channel.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
    try await channel.closeFuture.get()
    closed.cancel()
    return try await channel.eventLoop.submit { collector.received }.get()
}

final class ByteCollector: ChannelInboundHandler, @unchecked Sendable {
    // Only touched on the channel's event loop.
    typealias InboundIn = ByteBuffer
    var received = ByteBuffer()
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = Self.unwrapInboundIn(data)
        self.received.writeBuffer(&bytes)
    }
}

@Suite struct HandshakeOverTCPTests {
    static func frames(_ frames: Wire.Frame...) -> ByteBuffer {
        var out = ByteBuffer()
        let serializer = Wire.FrameSerializer()
        for frame in frames { serializer.write(frame, into: &out) }
        return out
    }

    static func hello(
        cluster: String = "shop", node: String = "a", target: String = "b", version: UInt16 = Wire.protocolVersion
    )
        -> Wire.Hello
    {
        var hello = Wire.Hello(
            role: .member, cluster: cluster, node: node, target: target, incarnation: 1, startedAtMillis: 0,
            nonce: Handshake.randomNonce()
        )
        hello.version = version
        return hello
    }

    static let bump = Wire.Frame.call(
        Wire.Call(callID: 1, recipient: "/service/probe", target: "bump", arguments: [])
    )

    /// Decodes the node's answer and returns the reject it sent (the last frame).
    static func reject(in bytes: ByteBuffer) throws -> Wire.Reject? {
        var bytes = bytes
        let parser = Wire.FrameParser()
        var last: Wire.Reject?
        while let frame = try parser.next(from: &bytes) {
            if frame.kind == .reject {
                var body = frame.body
                last = try Wire.Reject.decode(from: &body)
            }
        }
        return last
    }

    @Test(arguments: [
        ("wrong secret", Wire.Reject.Code.badSecret),
        ("wrong cluster", .wrongCluster),
        ("wrong version", .wrongVersion),
        ("unknown node", .unknownNode),
        ("garbage", .badMagic),
    ])
    func refusedPeersNeverReachAnActor(case name: String, expected: Wire.Reject.Code) async throws {
        try await withCluster(["a", "b"]) { cluster in
            let b = cluster["b"]
            let probe = b.makeActor(path: "/service/probe") { Probe(actorSystem: b) }
            let forgedProof = Wire.Frame.proof(Wire.Proof(proof: [UInt8](repeating: 7, count: 32)))
            let bytes: ByteBuffer
            switch name {
            case "wrong secret": bytes = Self.frames(.hello(Self.hello()), forgedProof, Self.bump)
            case "wrong cluster": bytes = Self.frames(.hello(Self.hello(cluster: "other")), forgedProof, Self.bump)
            case "wrong version": bytes = Self.frames(.hello(Self.hello(version: 99)), forgedProof, Self.bump)
            case "unknown node": bytes = Self.frames(.hello(Self.hello(node: "mallory")), forgedProof, Self.bump)
            default:
                var garbage = Self.frames(Wire.Frame(kind: .hello, body: ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n")))
                garbage.writeImmutableBuffer(Self.frames(Self.bump))
                bytes = garbage
            }
            let answer = try await exchangeRaw(with: b.boundAddress!, bytes)
            let reject = try Self.reject(in: answer)
            #expect(reject?.code == expected, "\(name): \(String(describing: reject))")
            #expect(await probe.whenLocal { $0.calls } == 0)
            // The node keeps serving its real peers.
            let remote = try Probe.resolve(id: probe.id, using: cluster["a"])
            try await remote.bump()
            #expect(await probe.whenLocal { $0.calls } == 1)
        }
    }

    @Test func aCallBeforeTheHandshakeIsRefused() async throws {
        try await withCluster(["a", "b"]) { cluster in
            let b = cluster["b"]
            let probe = b.makeActor(path: "/service/probe") { Probe(actorSystem: b) }
            let answer = try await exchangeRaw(with: b.boundAddress!, Self.frames(Self.bump))
            #expect(try Self.reject(in: answer)?.code == .protocolViolation)
            #expect(await probe.whenLocal { $0.calls } == 0)
        }
    }

    @Test func oversizedAndMalformedFramesCloseOnlyThatConnection() async throws {
        try await withCluster(["a", "b"]) { cluster in
            let b = cluster["b"]
            let probe = b.makeActor(path: "/service/probe") { Probe(actorSystem: b) }
            var huge = ByteBuffer()
            huge.writeInteger(UInt32(1 << 30))
            huge.writeBytes([0, 1, 2, 3])
            _ = try await exchangeRaw(with: b.boundAddress!, huge)  // returns only once b closed it
            var random = SeededGenerator(seed: 3)
            for _ in 0..<20 {
                let bytes = ByteBuffer(bytes: (0..<64).map { _ in UInt8.random(in: 0...255, using: &random) })
                _ = try await exchangeRaw(with: b.boundAddress!, bytes)
            }
            let remote = try Probe.resolve(id: probe.id, using: cluster["a"])
            try await remote.bump()
            #expect(await probe.whenLocal { $0.calls } == 1)
        }
    }

    @Test func aNodeWithTheWrongSecretNeverJoins() async throws {
        let b = ClusterSystem(settings: TestCluster.settings("b"))
        try await b.start()
        let probe = b.makeActor(path: "/service/probe") { Probe(actorSystem: b) }
        let rogue = ClusterSystem(settings: TestCluster.settings("a", secret: "guessed"))
        try await rogue.start()
        b.addPeer(rogue.boundAddress!)
        rogue.addPeer(b.boundAddress!)
        // Each side sees a handshake fail on the secret (whichever dialled), not merely no connection yet.
        func failures(_ system: ClusterSystem) -> Int {
            system.transportStats.snapshot.handshakesRefused + system.transportStats.snapshot.handshakesRejected
        }
        try await eventually("a failed handshake on each side", timeout: .seconds(30)) {
            failures(b) > 0 && failures(rogue) > 0
        }
        #expect(b.transportStats.snapshot.handshakesRefused + rogue.transportStats.snapshot.handshakesRefused > 0)
        #expect(b.memberState("a") == .unreachable)
        #expect(rogue.memberState("b") == .unreachable)
        let remote = try Probe.resolve(id: probe.id, using: rogue)
        await #expect(throws: RuntimeError.self) { try await remote.bump() }
        #expect(await probe.whenLocal { $0.calls } == 0)
        await rogue.shutdown()
        await b.shutdown()
    }
}

@Suite struct PendingHandshakeLimitTests {
    /// An idle TCP connection to `address`.
    func connect(_ address: NodeAddress) async throws -> any Channel {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: address.host, port: address.port).get()
    }

    @Test func strangersGetABoundedNumberOfHandshakesAndMembersStillJoin() async throws {
        var settings = TestCluster.settings("b")
        settings.maxPendingHandshakes = 2
        settings.handshakeTimeout = .seconds(30)
        let b = ClusterSystem(settings: settings)
        try await b.start()
        let address = b.boundAddress!
        let idle = [try await self.connect(address), try await self.connect(address)]
        try await eventually("two handshakes pending", timeout: .seconds(5), every: .milliseconds(10)) {
            b.pendingHandshakes.load(ordering: .relaxed) >= 2
        }
        #expect(b.pendingHandshakes.load(ordering: .relaxed) == 2)
        // A third stranger is closed at once (not after the 30 s handshake timeout).
        let third = try await self.connect(address)
        try await eventually("the third stranger closed", timeout: .seconds(3), every: .milliseconds(10)) {
            !third.isActive
        }
        #expect(idle.allSatisfy { $0.isActive })
        for channel in idle { try await channel.close() }
        // Once they are gone, a member joins as usual.
        let a = ClusterSystem(settings: TestCluster.settings("a"))
        try await a.start()
        a.addPeer(address)
        b.addPeer(a.boundAddress!)
        try await a.waitForMembers(["b"], timeout: .seconds(10))
        #expect(b.pendingHandshakes.load(ordering: .relaxed) == 0)
        await a.shutdown()
        await b.shutdown()
    }
}
