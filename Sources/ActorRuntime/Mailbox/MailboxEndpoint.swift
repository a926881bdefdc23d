import Distributed

/// The distributed face of a service's mailbox, at `/mailbox/<service>`: relays of other services (or of this
/// one, for timers) call `deliver` here.
public distributed actor MailboxEndpoint {
    public typealias ActorSystem = ClusterSystem

    private let mailbox: Mailbox

    init(actorSystem: ClusterSystem, mailbox: Mailbox) {
        self.actorSystem = actorSystem
        self.mailbox = mailbox
    }

    public static func path(for service: String) -> String { "/mailbox/\(service)" }

    /// Handles the batch's messages in order, in one transaction, and reports how many are committed.
    ///
    /// Members only, and only for a `source` service that the calling node hosts (per this node's
    /// directory): a client connection, or another node, cannot inject messages in a service's name.
    public distributed func deliver(_ batch: DeliveryBatch) async throws -> DeliveryReport {
        if let caller = try ClusterSystem.allow([.member], "deliver") {
            guard self.mailbox.configuration.directory.hosts(batch.source, on: caller.node) else {
                throw RuntimeError(
                    .notPermitted, "node \(caller.node) does not host \(batch.source); its batch is refused")
            }
            guard batch.messages.allSatisfy({ $0.source == batch.source }) else {
                throw RuntimeError(.notPermitted, "a batch from \(batch.source) carries messages of another source")
            }
        }
        return try await self.mailbox.receive(batch)
    }

    /// Queue depths and dead letters, for metrics and `node status` (members and operator clients).
    public distributed func stats() async throws -> MailboxStats {
        try ClusterSystem.allow([.member, .client], "stats")
        return try await self.mailbox.stats()
    }

    /// Dead letters, oldest first, for operators.
    public distributed func deadLetters(limit: Int) async throws -> [DeadLetter] {
        try ClusterSystem.allow([.member, .client], "deadLetters")
        return try await self.mailbox.deadLetters(limit: limit)
    }

    /// Puts dead letters back in the queue (all of them when `ids` is nil), except those the service refuses
    /// (with the reason). For operators (`node deadletters replay`, a client connection that proved the
    /// cluster secret).
    public distributed func replay(ids: [Int64]?) async throws -> ReplayReport {
        try ClusterSystem.allow([.member, .client], "replay")
        return try await self.mailbox.replay(ids: ids)
    }
}
