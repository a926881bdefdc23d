import Logging
import NIOCore
import Synchronization

/// Drives one connection: the handshake first, then dispatch of frames to the connection and the system.
///
/// It holds no business logic: calls go to `ClusterSystem` (executed off the event loop), replies and pongs
/// resolve state in `PeerConnection`.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = Wire.Frame
    typealias OutboundOut = [Wire.Outbound]

    private enum Mode {
        case handshaking(Handshake)
        case established(PeerConnection)
        case closed
    }

    private let system: ClusterSystem
    private var mode: Mode
    private let helloToSend: Wire.Frame?
    /// Completed when the handshake succeeds or fails (dialing side).
    private var established: EventLoopPromise<PeerConnection>?
    private var handshakeTimer: Scheduled<Void>?
    private var log: Logger
    /// Shared with this channel's frame codecs: set once the peer is proven.
    let trust = ConnectionTrust()
    /// Call targets the peer has defined, and the direct method each resolves to (same index).
    private var targets = Wire.TargetTable()
    private var directMethods: [DirectMethod?] = []
    /// Called once when the handshake ends, however it ends (the accepting side's pending count).
    private var onHandshakeEnded: (() -> Void)?

    /// Accepting side.
    init(
        system: ClusterSystem, handshake: Handshake.Configuration, logger: Logger, onHandshakeEnded: (() -> Void)? = nil
    ) {
        self.system = system
        self.mode = .handshaking(Handshake.acceptor(handshake))
        self.helloToSend = nil
        self.established = nil
        self.log = logger
        self.onHandshakeEnded = onHandshakeEnded
    }

    private func handshakeEnded() {
        self.onHandshakeEnded?()
        self.onHandshakeEnded = nil
    }

    /// Dialing side.
    init(
        system: ClusterSystem,
        handshake: Handshake.Configuration,
        target: String,
        established: EventLoopPromise<PeerConnection>,
        logger: Logger
    ) {
        let (machine, hello) = Handshake.dialer(handshake, target: target)
        self.system = system
        self.mode = .handshaking(machine)
        self.helloToSend = hello
        self.established = established
        self.log = logger
        self.log[metadataKey: "peer"] = "\(target)"
    }

    func channelActive(context: ChannelHandlerContext) {
        self.log[metadataKey: "remote"] = "\(context.remoteAddress.map { "\($0)" } ?? "?")"
        let channel = context.channel
        let timeout = self.system.settings.handshakeTimeout
        let log = self.log
        self.handshakeTimer = context.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) {
            log.warning("closing connection: handshake did not complete within \(timeout)")
            channel.close(promise: nil)
        }
        if let hello = self.helloToSend {
            context.writeAndFlush(Self.wrapOutboundOut([.frame(hello)]), promise: nil)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch self.mode {
        case .handshaking(var machine):
            let action = machine.received(frame)
            self.mode = .handshaking(machine)
            self.perform(action, context: context)
        case .established(let connection):
            connection.heard()
            self.dispatch(frame, on: connection, context: context)
        case .closed:
            break
        }
    }

    private func perform(_ action: Handshake.Action, context: ChannelHandlerContext) {
        switch action {
        case .send(let frame):
            context.writeAndFlush(Self.wrapOutboundOut([.frame(frame)]), promise: nil)
        case .establish(let frame, let peer, let keys):
            self.handshakeTimer?.cancel()
            self.handshakeEnded()
            if let frame { context.writeAndFlush(Self.wrapOutboundOut([.frame(frame)]), promise: nil) }
            self.trust.established = true
            if let keys {
                let mode = self.system.settings.frameProtection
                self.trust.sendCipher = Wire.FrameCipher(mode: mode, key: keys.send)
                self.trust.receiveCipher = Wire.FrameCipher(mode: mode, key: keys.receive)
            }
            self.log[metadataKey: "peer"] = "\(peer.node)"
            let connection = PeerConnection(
                channel: context.channel, peer: peer, maxOutboundBytes: self.system.settings.maxOutboundBytes,
                clock: self.system.settings.clock)
            connection.startDeadlineSweep()
            self.mode = .established(connection)
            self.log.debug("connection established", metadata: ["incarnation": "\(peer.incarnation)"])
            self.system.connectionEstablished(connection)
            self.settle(.success(connection))
        case .reject(let reject):
            self.log.warning("refusing connection: \(reject)")
            self.system.transportStats.handshakeFailed(refusedByUs: true)
            self.handshakeEnded()
            self.mode = .closed
            self.settle(.failure(RuntimeError(.handshakeFailed, "refused the peer: \(reject)")))
            let channel = context.channel
            context.writeAndFlush(Self.wrapOutboundOut([.frame(.reject(reject))])).whenComplete { _ in
                channel.close(promise: nil)
            }
        case .rejected(let reject):
            self.log.warning("peer refused the connection: \(reject)")
            self.system.transportStats.handshakeFailed(refusedByUs: false)
            self.handshakeEnded()
            self.mode = .closed
            self.settle(.failure(RuntimeError(.handshakeFailed, "the peer refused us: \(reject)")))
            context.close(promise: nil)
        }
    }

    private func dispatch(_ frame: Wire.Frame, on connection: PeerConnection, context: ChannelHandlerContext) {
        var body = frame.body
        do {
            switch frame.kind {
            case .call:
                let call = try Wire.Call.decode(from: &body, targets: &self.targets)
                var direct: DirectMethod?
                if let id = call.targetID.map(Int.init) {
                    // A new definition resolves its method once for the life of the connection.
                    if id == self.directMethods.count {
                        self.directMethods.append(self.system.directMethod(for: call.target))
                    }
                    direct = self.directMethods[id]
                }
                self.system.received(call, direct: direct, on: connection)
            case .reply:
                let reply = try Wire.Reply.decode(from: &body)
                connection.resolve(reply.callID, with: .success(reply.outcome))
            case .ping:
                connection.send(.frame(.pong(try Wire.Ping.decode(from: &body))))
            case .pong:
                connection.receivedPong(try Wire.Ping.decode(from: &body))
            case .goodbye:
                self.log.info("peer is leaving")
                connection.saidGoodbye.store(true, ordering: .relaxed)
                context.close(promise: nil)
            default:
                throw WireError.malformed("\(frame.kind) frame after the handshake")
            }
        } catch {
            // channelInactive reports the loss to the system and fails the pending calls.
            self.log.warning("closing connection: \(error)")
            context.close(promise: nil)
        }
    }

    /// Completes the dialer's promise once; later outcomes are ignored.
    private func settle(_ result: Result<PeerConnection, any Error>) {
        guard let promise = self.established else { return }
        self.established = nil
        promise.completeWith(result)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Frames held while the peer was not reading go out once the socket takes bytes again.
        if context.channel.isWritable, case .established(let connection) = self.mode { connection.drainIfWritable() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case let error as WireError:
            self.log.warning("closing connection: malformed input: \(error)")
        case let error as ByteToMessageDecoderError:
            self.log.warning("closing connection: malformed input: \(error)")
        default:
            self.log.debug("closing connection: \(error)")
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.handshakeTimer?.cancel()
        self.handshakeEnded()
        switch self.mode {
        case .established(let connection):
            self.system.connectionClosed(connection)
        case .handshaking:
            self.settle(.failure(RuntimeError(.handshakeFailed, "connection closed during the handshake")))
        case .closed:
            break
        }
        self.mode = .closed
        context.fireChannelInactive()
    }
}
