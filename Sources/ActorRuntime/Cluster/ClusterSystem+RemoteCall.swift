import Distributed
import Logging
import NIOCore
import Synchronization

extension ClusterSystem {
    /// Overrides the call deadline for calls made inside `withCallTimeout`.
    @TaskLocal public static var callTimeoutOverride: Duration?

    /// Runs `body` with every remote call in it given `timeout` instead of `Settings.callTimeout`.
    public static func withCallTimeout<T>(
        _ timeout: Duration,
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T
    ) async rethrows -> T {
        try await Self.$callTimeoutOverride.withValue(timeout) { try await body() }
    }

    public func remoteCall<Act, Err, Res>(
        on actor: Act,
        target: RemoteCallTarget,
        invocation: inout InvocationEncoder,
        throwing: Err.Type,
        returning: Res.Type
    ) async throws -> Res where Act: DistributedActor, Act.ID == ActorID, Err: Error, Res: Codable {
        switch try await self.send(to: actor.id, target: target, invocation: &invocation) {
        case .value(let buffer):
            return try self.serialization.decode(Res.self, from: buffer)
        case .void:
            throw RuntimeError(.badCall, "call to \(actor.id) returned nothing where a \(Res.self) was expected")
        case .error(let remote):
            throw RuntimeError.fromReply(remote, target: actor.id.description)
        }
    }

    public func remoteCallVoid<Act, Err>(
        on actor: Act,
        target: RemoteCallTarget,
        invocation: inout InvocationEncoder,
        throwing: Err.Type
    ) async throws where Act: DistributedActor, Act.ID == ActorID, Err: Error {
        switch try await self.send(to: actor.id, target: target, invocation: &invocation) {
        case .value, .void:
            return
        case .error(let remote):
            throw RuntimeError.fromReply(remote, target: actor.id.description)
        }
    }

    private func send(
        to id: ActorID,
        target: RemoteCallTarget,
        invocation: inout InvocationEncoder
    ) async throws -> Wire.Reply.Outcome {
        if id.node == self.settings.node {
            // Local actors are called directly; reaching here means there is no such local actor.
            throw RuntimeError.unknownActor(id)
        }
        let connection = try self.membership.withLock { membership -> PeerConnection in
            guard let member = membership.members[id.node] else {
                throw RuntimeError(.unknownNode, "node \(id.node) is not a member of cluster \(self.settings.cluster)")
            }
            guard let connection = member.connection else {
                throw RuntimeError.peerUnreachable(id.node, "it is \(member.state)")
            }
            return connection
        }
        let call = Wire.Call(
            callID: self.makeCallID(),
            recipient: id.path,
            target: target.identifier,
            genericSubstitutions: invocation.genericSubstitutions,
            arguments: invocation.arguments
        )
        return try await connection.call(
            call,
            timeout: Self.callTimeoutOverride ?? self.settings.callTimeout,
            target: id.description
        )
    }
}

// MARK: - Inbound calls

extension ClusterSystem {
    /// Starts executing a call received on `connection`, on that connection's event loop.
    func received(_ call: Wire.Call, direct: DirectMethod? = nil, on connection: PeerConnection) {
        guard !self.isStopping else {
            let error = RuntimeError.shuttingDown(self.settings.node)
            connection.send(.reply(Wire.Reply(callID: call.callID, outcome: .error(.runtime(error)))))
            return
        }
        // One task per call, tracked by the in-flight count that shutdown drains.
        self.inFlightCalls.add(1, ordering: .relaxed)
        Task(executorPreference: connection.executor) {
            if let direct {
                await self.executeDirect(call, direct, from: connection)
            } else {
                await self.execute(call, from: connection)
            }
            self.inFlightCalls.subtract(1, ordering: .relaxed)
        }
    }

    private func executeDirect(_ call: Wire.Call, _ direct: DirectMethod, from connection: PeerConnection) async {
        self.transportStats.dispatched(direct: true)
        let outcome: Wire.Reply.Outcome
        if let actor = self.localActor(path: call.recipient) {
            let caller = CallerIdentity(node: connection.peer.node, role: connection.peer.role)
            let serialization = self.serialization
            outcome = await ClusterSystem.$caller.withValue(caller) { await direct.run(actor, call, serialization) }
        } else {
            outcome = .error(.runtime(.unknownActor(ActorID(node: self.settings.node, path: call.recipient))))
        }
        connection.send(.reply(Wire.Reply(callID: call.callID, outcome: outcome)))
    }

    private func execute(_ call: Wire.Call, from connection: PeerConnection) async {
        self.transportStats.dispatched(direct: false)
        let reply = ReplySender(connection: connection, callID: call.callID)
        guard let actor = self.localActor(path: call.recipient) else {
            let id = ActorID(node: self.settings.node, path: call.recipient)
            reply.send(.error(.runtime(.unknownActor(id))))
            return
        }
        var decoder = ClusterInvocationDecoder(serialization: self.serialization, call: call)
        let handler = ClusterResultHandler(reply: reply, serialization: self.serialization)
        // The methods read who is calling (`ClusterSystem.allow`) from the task.
        let caller = CallerIdentity(node: connection.peer.node, role: connection.peer.role)
        do {
            try await ClusterSystem.$caller.withValue(caller) {
                try await self.executeDistributedTarget(
                    on: actor,
                    target: RemoteCallTarget(call.target),
                    invocationDecoder: &decoder,
                    handler: handler
                )
            }
        } catch {
            // Dispatch failed before the method ran (unknown method, undecodable arguments).
            self.log.debug("could not dispatch call: \(error)", metadata: ["actor.path": "\(call.recipient)"])
            let failure =
                (error as? RuntimeError) ?? RuntimeError(.badCall, "cannot dispatch call to \(call.recipient)")
            reply.send(.error(.runtime(failure)))
        }
    }
}
