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
}
