import Foundation
import Logging
import NIOCore
import Synchronization

extension ClusterSystem {
    /// Called on the event loop when a handshake completes.
    func connectionEstablished(_ connection: PeerConnection) {
        let peer = connection.peer
        if self.isStopping {
            connection.channel.close(promise: nil)
            return
        }
        if peer.role == .client {
            self.membership.withLock { $0.clients[ObjectIdentifier(connection)] = connection }
            self.log.debug("client connected", metadata: ["peer": "\(peer.node)"])
            return
        }
        let (replaced, previousIncarnation) = self.membership.withLock {
            membership -> (PeerConnection?, UInt64?) in
            guard var member = membership.members[peer.node] else { return (nil, nil) }
            let replaced = member.connection
            let previous = member.identity?.incarnation
            member.connection = connection
            member.identity = peer
            membership.members[peer.node] = member
            membership.setState(peer.node, .up)
            return (replaced, previous)
        }
        if let replaced, replaced !== connection {
            replaced.failAll(.peerUnreachable(peer.node, "its connection was replaced"))
            replaced.channel.close(promise: nil)
        }
        var metadata: Logger.Metadata = ["peer": "\(peer.node)", "incarnation": "\(peer.incarnation)"]
        if let previousIncarnation, previousIncarnation != peer.incarnation {
            metadata["previous_incarnation"] = "\(previousIncarnation)"
            self.log.info("member up (restarted)", metadata: metadata)
        } else {
            self.log.info("member up", metadata: metadata)
        }
    }

    /// Called on the event loop when an established connection closes.
    func connectionClosed(_ connection: PeerConnection) {
        let peer = connection.peer
        let left = connection.saidGoodbye.load(ordering: .relaxed)
        if self.isStopping {
            connection.failAll(.shuttingDown(self.settings.node))
        } else if left {
            connection.failAll(.shuttingDown(peer.node))
        } else {
            connection.failAll(.peerUnreachable(peer.node, "the connection was lost"))
        }
        let wasCurrent = self.membership.withLock { membership -> Bool in
            if peer.role == .client {
                membership.clients[ObjectIdentifier(connection)] = nil
                return false
            }
            guard membership.members[peer.node]?.connection === connection else { return false }
            membership.members[peer.node]?.connection = nil
            membership.setState(peer.node, left ? .down : .unreachable)
            return true
        }
        if wasCurrent, !self.isStopping {
            self.log.info(left ? "member down (left)" : "member unreachable", metadata: ["peer": "\(peer.node)"])
        }
    }

    /// Adds a node to the member list (for example one whose port became known after it started). A node
    /// already known by that name gets the new address for its next connection.
    public func addPeer(_ address: NodeAddress) {
        guard address.name != self.settings.node else { return }
        let isNew = self.membership.withLock { membership -> Bool in
            if membership.members[address.name] != nil {
                membership.members[address.name]?.address = address
                return false
            }
            membership.members[address.name] = Membership.Member(address: address)
            return true
        }
        if isNew, self.shouldDial(address.name), self.boundAddress != nil {
            self.controlContinuation.yield(.dial(address.name))
        }
    }

    /// Marks a member down by an operator's decision and closes its connection; it is `up` again when it
    /// reconnects.
    public func markDown(_ name: String) {
        let connection = self.membership.withLock { membership -> PeerConnection? in
            let connection = membership.members[name]?.connection
            membership.members[name]?.connection = nil
            membership.setState(name, .down)
            return connection
        }
        connection?.failAll(.peerUnreachable(name, "it was marked down"))
        connection?.channel.close(promise: nil)
    }

    /// Whether any other node is up as this node sees it (false for a node cut off from all its peers).
    public var anyPeerUp: Bool {
        self.membership.withLock { $0.members.values.contains { $0.state == .up } }
    }

    /// The state of `name` as this node sees it, or `nil` for a node it does not know.
    public func memberState(_ name: String) -> MemberState? {
        self.membership.withLock { $0.members[name]?.state }
    }

    /// Waits until every named member (default: all) is in `state`.
    ///
    /// - Throws: `RuntimeError` `.callTimedOut` naming the members that were not, after `timeout`.
    public func waitForMembers(
        _ names: [String]? = nil,
        toBe state: MemberState = .up,
        timeout: Duration = .seconds(10)
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let lagging = self.membership.withLock { membership in
                (names ?? Array(membership.members.keys)).filter { membership.members[$0]?.state != state }
            }
            if lagging.isEmpty { return }
            if ContinuousClock.now >= deadline {
                throw RuntimeError(
                    .callTimedOut,
                    "members \(lagging.sorted()) not \(state) within \(timeout)"
                )
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// A snapshot of this node and its view of every member.
    public func status() -> ClusterStatus {
        let now = Date()
        let nowMillis = Int64(now.timeIntervalSince1970 * 1000)
        let uptime = Double(NIODeadline.now().uptimeNanoseconds - self.startedAtUptime.uptimeNanoseconds) / 1e9
        let bound = self.boundAddress
        var members = [
            MemberStatus(
                name: self.settings.node,
                host: bound?.host ?? self.settings.host,
                port: bound?.port ?? self.settings.port,
                state: self.isStopping ? .down : .up,
                incarnation: self.incarnation,
                uptimeSeconds: uptime,
                rttMicros: 0,
                stateSinceSeconds: uptime
            )
        ]
        let peers = self.membership.withLock { membership in
            membership.members.values.sorted { $0.address.name < $1.address.name }.map { member in
                let rtt = member.connection?.rttNanos.load(ordering: .relaxed) ?? 0
                return MemberStatus(
                    name: member.address.name,
                    host: member.address.host,
                    port: member.address.port,
                    state: member.state,
                    incarnation: member.identity?.incarnation,
                    uptimeSeconds: member.state == .up
                        ? member.identity.map { Double(nowMillis - $0.startedAtMillis) / 1000 } : nil,
                    rttMicros: rtt > 0 ? Double(rtt) / 1000 : nil,
                    stateSinceSeconds: now.timeIntervalSince(member.stateSince)
                )
            }
        }
        members += peers
        let services = self.registry.withLock { registry in
            registry.filter { $0.key.hasPrefix("/service/") && $0.value.actor != nil }.keys.sorted()
        }
        return ClusterStatus(
            cluster: self.settings.cluster,
            node: self.settings.node,
            incarnation: self.incarnation,
            uptimeSeconds: uptime,
            members: members,
            services: services,
            transport: self.transportStats.snapshot
        )
    }
}
