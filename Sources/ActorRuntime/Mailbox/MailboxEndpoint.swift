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
    public distributed func deliver(_ batch: DeliveryBatch) async throws -> DeliveryReport {
        try await self.mailbox.receive(batch)
    }

    /// Queue depths and dead letters, for metrics and `node status`.
    public distributed func stats() async throws -> MailboxStats {
        try await self.mailbox.stats()
    }

    /// Dead letters, oldest first, for operators.
    public distributed func deadLetters(limit: Int) async throws -> [DeadLetter] {
        try await self.mailbox.deadLetters(limit: limit)
    }

    /// Puts dead letters back in the queue (all of them when `ids` is nil); how many.
    public distributed func replay(ids: [Int64]?) async throws -> Int {
        try await self.mailbox.replay(ids: ids)
    }
}
