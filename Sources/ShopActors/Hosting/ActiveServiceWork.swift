import ActorRuntime
import Logging

/// A handler with work of its own while its service is active: the saga reads its deadlines before it takes
/// deliveries and sweeps them while it runs.
public protocol ActiveServiceWork: MailboxHandler {
    /// Runs before the mailbox takes deliveries.
    func prepare(db: PostgresClient, logger: Logger) async
    /// Runs beside the mailbox until cancelled.
    func runBeside(_ mailbox: Mailbox, logger: Logger) async
}

extension Mailbox {
    /// Runs the mailbox and, when its handler has work of its own, that work first and then beside it.
    func run(with handler: any MailboxHandler, db: PostgresClient, logger: Logger) async throws {
        guard let work = handler as? any ActiveServiceWork else { return try await self.run() }
        // Prepared first, so that the turns after it only add to what it read.
        await work.prepare(db: db, logger: logger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await work.runBeside(self, logger: logger) }
            try await self.run()
            group.cancelAll()
        }
    }
}
