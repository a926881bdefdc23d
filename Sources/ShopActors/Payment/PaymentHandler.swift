import ActorRuntime
import Foundation

/// The payment service's mailbox: `ProcessPayment`, `RefundPayment`, handled set-wise.
///
/// Seed bugs fixed: an unknown payment method fails the payment (`PaymentFailed`) instead of stalling the
/// saga; `external_id` is stored; `RefundPayment` is implemented. A method of gateway `fail` (the seed's
/// `method-fail`) still fails on purpose. One payment per order (a unique index): a repeated
/// `ProcessPayment` reports the first outcome again.
///
/// A method pays only for its owner's orders. Another user's method fails exactly as an unknown one (same
/// error text), so the outcome does not reveal that it exists. Shared demo methods (the seed's) pay for
/// everyone only while `sharedDemoMethods` is on.
public struct PaymentHandler: MailboxHandler {
    let sharedDemoMethods: Bool

    public init(sharedDemoMethods: Bool = false) {
        self.sharedDemoMethods = sharedDemoMethods
    }

    enum Work {
        case process(Commands.ProcessPayment)
        case refund(Commands.RefundPayment)

        var orderID: String {
            switch self {
            case .process(let command): command.orderID
            case .refund(let command): command.orderID ?? command.paymentID
            }
        }
    }

    public func handle(batch messages: [MailboxMessage], in turn: inout Turn) throws {
        var work: [(sagaID: String, work: Work)] = []
        for message in messages {
            switch message.type {
            case Commands.ProcessPayment.commandType:
                work.append((message.sagaID ?? "", .process(try message.decode(Commands.ProcessPayment.self))))
            case Commands.RefundPayment.commandType:
                work.append((message.sagaID ?? "", .refund(try message.decode(Commands.RefundPayment.self))))
            default:
                throw UnexpectedMessage(service: "payment", type: message.type)
            }
        }
        for run in segmented(work, by: \.work.orderID) {
            try self.process(
                run.compactMap { if case .process(let c) = $0.work { ($0.sagaID, c) } else { nil } }, in: &turn)
            try self.refund(
                run.compactMap { if case .refund(let c) = $0.work { ($0.sagaID, c) } else { nil } }, in: &turn)
        }
    }

    private func process(_ commands: [(sagaID: String, command: Commands.ProcessPayment)], in turn: inout Turn) throws {
        guard !commands.isEmpty else { return }
        let connection = turn.connection
        var methods: [String: Method] = [:]
        for row in try connection.query(
            "SELECT id, user_id, shared, gateway, payment_type FROM methods WHERE id = ANY($1::text[])",
            [PostgresArray(Array(Set(commands.map(\.command.paymentMethodID))))]
        ).rows {
            methods[try row.string("id")] = Method(
                owner: try row.string("user_id"), shared: try row.bool("shared"), gateway: try row.string("gateway"),
                type: try row.string("payment_type"))
        }
        let failures: [String?] = commands.map { _, command in
            guard let method = methods[command.paymentMethodID], self.usable(method, by: command.userID) else {
                return "unknown payment method \(command.paymentMethodID)"
            }
            if method.gateway == "fail" { return "payment declined by gateway fail" }
            if command.paymentSum < 0 { return "payment sum must not be negative" }
            return nil
        }
        let columns = "id, order_id, amount, external_id, status, method_id"
        let inserted = try connection.query(
            """
            INSERT INTO payments (id, order_id, user_id, amount, external_id, status, method_id)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[])
            ON CONFLICT (order_id) DO NOTHING
            RETURNING \(columns)
            """,
            [
                PostgresArray(commands.map { _ in OrderedUUID.make() }), PostgresArray(commands.map(\.command.orderID)),
                PostgresArray(commands.map(\.command.userID)), PostgresIntArray(commands.map(\.command.paymentSum)),
                PostgresArray(failures.map { $0 == nil ? OrderedUUID.make() : nil }),
                PostgresArray(failures.map { $0 == nil ? "completed" : "failed" }),
                PostgresArray(commands.map(\.command.paymentMethodID)),
            ]
        )
        var payments: [String: PostgresRow] = [:]
        for row in inserted.rows { payments[try row.string("order_id")] = row }
        let fresh = Set(payments.keys)
        let earlier = commands.map(\.command.orderID).filter { payments[$0] == nil }
        if !earlier.isEmpty {
            // Already paid (or failed) for these orders: answer with what happened then.
            for row in try connection.query(
                "SELECT \(columns) FROM payments WHERE order_id = ANY($1::text[])", [PostgresArray(earlier)]
            ).rows {
                payments[try row.string("order_id")] = row
            }
        }
        for ((sagaID, command), failure) in zip(commands, failures) {
            guard let row = payments[command.orderID] else { continue }
            let status = try row.string("status")
            let method = methods[try row.string("method_id")]
            if status == "completed" {
                try turn.publish(
                    Events.PaymentCompleted(
                        paymentID: try row.string("id"), orderID: command.orderID, userID: command.userID,
                        paymentSum: try row.int("amount"), paymentMethodID: try row.string("method_id"),
                        paymentExternalID: try row.optionalString("external_id") ?? "",
                        paymentType: method?.type ?? "", paymentGateway: method?.gateway ?? "",
                        paymentStatus: "completed"),
                    sagaID: sagaID)
            } else {
                let error = fresh.contains(command.orderID) ? failure ?? status : "payment for this order is \(status)"
                try turn.publish(
                    Events.PaymentFailed(
                        paymentID: try row.string("id"), orderID: command.orderID, userID: command.userID,
                        paymentSum: try row.int("amount"), paymentMethodID: try row.string("method_id"),
                        paymentStatus: status, error: error),
                    sagaID: sagaID)
            }
        }
    }

    struct Method {
        var owner: String
        var shared: Bool
        var gateway: String
        var type: String
    }

    /// Whether `userID` may pay with `method`: their own, or a shared demo method while those are on.
    func usable(_ method: Method, by userID: String) -> Bool {
        method.shared ? self.sharedDemoMethods : method.owner == userID
    }

    private func refund(_ commands: [(sagaID: String, command: Commands.RefundPayment)], in turn: inout Turn) throws {
        guard !commands.isEmpty else { return }
        let refunded = try turn.connection.query(
            """
            UPDATE payments SET status = 'refunded', updated_at = now()
            WHERE (id = ANY($1::text[]) OR order_id = ANY($2::text[])) AND status IN ('completed', 'refunded')
            RETURNING id, order_id
            """,
            [PostgresArray(commands.map(\.command.paymentID)), PostgresArray(commands.compactMap(\.command.orderID))]
        )
        var byOrder: [String: String] = [:]
        var byPayment: [String: String] = [:]
        for row in refunded.rows {
            byOrder[try row.string("order_id")] = try row.string("id")
            byPayment[try row.string("id")] = try row.string("order_id")
        }
        for (sagaID, command) in commands {
            // Nothing to refund (the payment failed or never happened) is still a completed compensation.
            let orderID = command.orderID ?? byPayment[command.paymentID] ?? ""
            try turn.publish(
                Events.PaymentRefunded(orderID: orderID, paymentID: byOrder[orderID] ?? command.paymentID),
                sagaID: sagaID)
        }
    }
}
