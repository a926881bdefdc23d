import ActorRuntime

/// Test switch (`SHOP_FAULTS=fail-payments`): a handler whose messages of `failing` types always fail, as a
/// handler broken by a bad deploy or a full disk would, so that they become dead letters. Never for production.
struct FaultInjectingHandler: MailboxHandler {
    struct InjectedFailure: Error, CustomStringConvertible {
        var type: String
        var description: String { "injected failure for \(self.type) (SHOP_FAULTS)" }
    }

    let base: any MailboxHandler
    let failing: Set<String>

    func handle(batch messages: [MailboxMessage], in turn: inout Turn) throws {
        if let message = messages.first(where: { self.failing.contains($0.type) }) {
            throw InjectedFailure(type: message.type)
        }
        try self.base.handle(batch: messages, in: &turn)
    }

    func refuseReplay(_ candidates: [ReplayCandidate], connection: PostgresConnection) throws -> [Int64: String] {
        try self.base.refuseReplay(candidates, connection: connection)
    }
}
