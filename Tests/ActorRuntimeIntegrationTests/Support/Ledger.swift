import ActorRuntime
import Foundation
import Synchronization

/// A toy service for mailbox tests: `Credit` adds to an account and logs the message; `Poison` throws while
/// the switch is on; `Relay` forwards a `Credit` to another service.
struct Ledger: MailboxHandler {
    struct Poisoned: Error, CustomStringConvertible {
        var description: String { "poisoned message refused" }
    }

    final class Switches: Sendable {
        let poison = Atomic<Bool>(true)
        /// Called inside the turn, after the state change (e.g. to cut the network before the reply).
        let afterCredit = Mutex<(@Sendable () -> Void)?>(nil)
    }

    static let schema = [
        Migration(
            version: 1,
            name: "ledger",
            sql: """
                CREATE TABLE accounts (name TEXT PRIMARY KEY, balance BIGINT NOT NULL DEFAULT 0);
                CREATE TABLE applied (seq BIGSERIAL PRIMARY KEY, message_id TEXT NOT NULL, source TEXT NOT NULL, note TEXT);
                """
        )
    ]

    struct Credit: Codable {
        var account: String
        var amount: Int
        var note: String?
        var forwardTo: String?
    }

    let switches: Switches

    func handle(_ message: MailboxMessage, in turn: inout Turn) throws {
        switch message.type {
        case "Credit", "Relay":
            let credit = try JSONDecoder().decode(Credit.self, from: Data(message.payload))
            if message.type == "Relay", let destination = credit.forwardTo {
                var forwarded = credit
                forwarded.forwardTo = nil
                try turn.send(Self.credit(forwarded), to: destination)
                return
            }
            try turn.connection.query(
                """
                INSERT INTO accounts (name, balance) VALUES ($1, $2)
                ON CONFLICT (name) DO UPDATE SET balance = accounts.balance + EXCLUDED.balance
                """,
                [credit.account, credit.amount]
            )
            try turn.connection.query(
                "INSERT INTO applied (message_id, source, note) VALUES ($1, $2, $3)",
                [message.id, message.source, credit.note]
            )
            self.switches.afterCredit.withLock { $0 }?()
        case "Poison":
            if self.switches.poison.load(ordering: .relaxed) { throw Poisoned() }
            try turn.connection.query(
                "INSERT INTO applied (message_id, source, note) VALUES ($1, $2, 'poison')",
                [message.id, message.source])
        default:
            throw Poisoned()
        }
    }

    static func credit(_ credit: Credit, id: String = UUID().uuidString) -> OutgoingMessage {
        OutgoingMessage(
            id: id, type: "Credit", payload: String(decoding: try! JSONEncoder().encode(credit), as: UTF8.self))
    }

    static func credit(_ account: String, _ amount: Int, note: String? = nil) -> OutgoingMessage {
        Self.credit(Credit(account: account, amount: amount, note: note))
    }
}
