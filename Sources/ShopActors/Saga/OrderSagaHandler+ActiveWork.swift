import ActorRuntime
import Logging

extension OrderSagaHandler: ActiveServiceWork {
    public func prepare(db: PostgresClient, logger: Logger) async {
        await self.loadDeadlines(db: db, logger: logger)
    }

    public func runBeside(_ mailbox: Mailbox, logger: Logger) async {
        await self.sweepDeadlines(mailbox: mailbox, logger: logger)
    }
}
