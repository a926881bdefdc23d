import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

extension ClusterSystem {
    /// Binds the listener (members only) and starts connecting to the peers. Returns once listening.
    ///
    /// - Throws: `RuntimeError` `.bindFailed` if the address cannot be bound, `.notRunning` if the system was
    ///   already shut down.
    public func start() async throws {
        let proceed = try self.lifecycle.withLock { state -> Bool in
            switch state {
            case .idle:
                state = .starting
                return true
            case .starting, .running:
                return false
            case .stopping, .stopped:
                throw RuntimeError(.notRunning, "node \(self.settings.node) was shut down and cannot restart")
            }
        }
        guard proceed else { return }

        var server: (any Channel)?
        var bound = NodeAddress(name: self.settings.node, host: self.settings.host, port: self.settings.port)
        if self.settings.role == .member {
            do {
                let channel = try await self.bind()
                server = channel
                bound.port = channel.localAddress?.port ?? self.settings.port
            } catch {
                self.lifecycle.withLock { $0 = .stopped }
                throw RuntimeError(
                    .bindFailed,
                    "cannot listen on \(self.settings.host):\(self.settings.port): \(error)"
                )
            }
        }
        let running = Running(
            server: server,
            boundAddress: bound,
            control: Task { await self.runControl() }
        )
        self.lifecycle.withLock { $0 = .running(running) }
        self.log.info(
            "node started",
            metadata: [
                "address": "\(bound.host):\(bound.port)", "incarnation": "\(self.incarnation)",
            ])
        let toDial = self.membership.withLock { membership in
            membership.members.keys.filter { self.shouldDial($0) }
        }
        for name in toDial { self.controlContinuation.yield(.dial(name)) }
    }

    /// Stops the node gracefully; see the type's documentation. Safe to call more than once.
    public func shutdown() async {
        let running = self.lifecycle.withLock { state -> Running? in
            switch state {
            case .running(let running):
                state = .stopping
                return running
            case .idle, .starting:
                state = .stopped
                return nil
            case .stopping, .stopped:
                return nil
            }
        }
        guard let running else { return }
        self.log.info("node shutting down")

        // 1. Stop accepting connections, dialing and heartbeats.
        try? await running.server?.close()
        self.controlContinuation.finish()
        running.control.cancel()

        // 2. New inbound calls are refused from here on (isStopping); let those in flight finish.
        let deadline = ContinuousClock.now + self.settings.shutdownGracePeriod
        while self.inFlightCalls.load(ordering: .relaxed) > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        let abandoned = self.inFlightCalls.load(ordering: .relaxed)
        if abandoned > 0 {
            self.log.warning("\(abandoned) in-flight calls did not finish within \(self.settings.shutdownGracePeriod)")
        }

        // 3. Say goodbye, fail what is still pending, close.
        let connections = self.membership.withLock { $0.allConnections }
        for connection in connections {
            // Fail first: the peer closes as soon as it reads the goodbye, and that must not read as a lost peer.
            connection.failAll(.shuttingDown(self.settings.node))
            try? await connection.channel.writeAndFlush([Wire.Outbound.frame(.goodbye)])
            try? await connection.channel.close()
        }
        // Connections still in their handshake hold the port too.
        for channel in self.openChannels.withLock({ Array($0.values) }) {
            try? await channel.close()
        }
        // Until every socket is closed the port stays taken; a restart on it would fail to bind.
        let closeDeadline = ContinuousClock.now + .seconds(2)
        while !self.openChannels.withLock({ $0.isEmpty }), ContinuousClock.now < closeDeadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        await running.control.value
        self.lifecycle.withLock { $0 = .stopped }
        self.log.info("node stopped")
    }

    /// Runs the node until a graceful shutdown is requested (or the task is cancelled), then stops it.
    public func run() async throws {
        try await self.start()
        try? await gracefulShutdown()
        await self.shutdown()
    }

    var isStopping: Bool {
        self.lifecycle.withLock { state in
            switch state {
            case .stopping, .stopped: true
            default: false
            }
        }
    }

    // MARK: Listening

    private func bind() async throws -> any Channel {
        try await ServerBootstrap(group: self.group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Strangers get a bounded number of handshakes in progress, and nothing more; connections
                    // from the configured peers' hosts are not counted, so strangers cannot crowd members out.
                    let fromPeer =
                        channel.remoteAddress?.ipAddress.map { ip in self.settings.peers.contains { $0.host == ip } }
                        ?? false
                    let counted = !fromPeer
                    if counted {
                        let pending = self.pendingHandshakes.add(1, ordering: .relaxed).newValue
                        guard pending <= self.settings.maxPendingHandshakes else {
                            self.pendingHandshakes.subtract(1, ordering: .relaxed)
                            self.log.warning(
                                "refusing connection from \(channel.remoteAddress.map { "\($0)" } ?? "?"): \(pending - 1) handshakes already in progress (max_pending_handshakes)"
                            )
                            throw RuntimeError(.handshakeFailed, "too many handshakes in progress")
                        }
                    }
                    let ended: (() -> Void)? =
                        counted ? { self.pendingHandshakes.subtract(1, ordering: .relaxed) } : nil
                    let handler = ConnectionHandler(
                        system: self, handshake: self.handshakeConfiguration, logger: self.log, onHandshakeEnded: ended)
                    do {
                        try self.addCodecHandlers(to: channel, then: handler)
                    } catch {
                        ended?()
                        throw error
                    }
                }
            }
            .bind(host: self.settings.host, port: self.settings.port)
            .get()
    }

    private func addCodecHandlers(to channel: any Channel, then handler: ConnectionHandler) throws {
        // A connection accepted just before the listener closed is initialised only now: refuse it.
        guard !self.isStopping else { throw RuntimeError.shuttingDown(self.settings.node) }
        let key = ObjectIdentifier(channel)
        self.openChannels.withLock { $0[key] = channel }
        channel.closeFuture.whenComplete { _ in self.openChannels.withLock { $0[key] = nil } }
        let sync = channel.pipeline.syncOperations
        let trust = handler.trust
        try sync.addHandler(
            ByteToMessageHandler(FrameDecoder(limits: self.settings.limits, stats: self.transportStats, trust: trust)))
        try sync.addHandler(
            MessageToByteHandler(FrameEncoder(limits: self.settings.limits, stats: self.transportStats, trust: trust)))
        try sync.addHandler(handler)
    }

    // MARK: Dialing

    /// The one-connection-per-pair rule: between two members, the one with the smaller name dials, so the two
    /// never race to connect to each other. Clients dial every node.
    func shouldDial(_ peer: String) -> Bool {
        self.settings.role == .client || self.settings.node < peer
    }

    func runControl() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.heartbeatLoop() }
            for await command in self.controlCommands {
                switch command {
                case .dial(let name):
                    group.addTask { await self.dialLoop(name) }
                }
            }
            group.cancelAll()
        }
    }

    /// Keeps one connection to `name` open for as long as the node runs, reconnecting with backoff.
    private func dialLoop(_ name: String) async {
        var failures = 0
        var log = self.log
        log[metadataKey: "peer"] = "\(name)"
        while !Task.isCancelled {
            guard let address = self.membership.withLock({ $0.members[name]?.address }) else { return }
            do {
                let connection = try await self.dial(address)
                failures = 0
                try? await connection.channel.closeFuture.get()
                if Task.isCancelled { return }
            } catch {
                if failures == 0 {
                    log.info("cannot connect to \(address): \(error); retrying with backoff")
                } else {
                    log.debug("reconnect attempt \(failures) failed: \(error)")
                }
                failures += 1
            }
            do {
                try await self.settings.clock.sleep(
                    for: self.settings.reconnectBackoff.delay(attempt: max(failures - 1, 0)))
            } catch {
                return
            }
        }
    }

    private func dial(_ address: NodeAddress) async throws -> PeerConnection {
        let promise = self.group.next().makePromise(of: PeerConnection.self)
        do {
            _ = try await ClientBootstrap(group: self.group)
                .connectTimeout(.nanoseconds(self.settings.connectTimeout.nanoseconds))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = ConnectionHandler(
                            system: self,
                            handshake: self.handshakeConfiguration,
                            target: address.name,
                            established: promise,
                            logger: self.log
                        )
                        try self.addCodecHandlers(to: channel, then: handler)
                    }
                }
                .connect(host: address.host, port: address.port)
                .get()
        } catch {
            promise.fail(error)
        }
        return try await promise.futureResult.get()
    }

    // MARK: Failure detection

    private func heartbeatLoop() async {
        let timeout = UInt64(self.settings.failureTimeout.nanoseconds)
        while !Task.isCancelled {
            do { try await self.settings.clock.sleep(for: self.settings.heartbeatInterval) } catch { return }
            let now = self.settings.clock.nowNanoseconds
            for connection in self.membership.withLock({ $0.allConnections }) {
                let heard = connection.lastHeardNanos.load(ordering: .relaxed)
                if now > heard, now - heard > timeout {
                    self.log.warning(
                        "no heartbeat within \(self.settings.failureTimeout); closing connection",
                        metadata: [
                            "peer": "\(connection.peer.node)"
                        ])
                    connection.channel.close(promise: nil)
                } else {
                    connection.sendPing()
                }
            }
        }
    }
}
