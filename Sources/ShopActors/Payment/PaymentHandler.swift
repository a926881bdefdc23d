import ActorRuntime
import Foundation

/// The payment service's mailbox: `ProcessPayment`, `RefundPayment`.
///
/// Seed bugs fixed: an unknown payment method fails the payment (`PaymentFailed`) instead of stalling the
/// saga; `external_id` is stored; `RefundPayment` is implemented. `method-fail` still fails on purpose.
/// One payment per order (a unique index): a repeated `ProcessPayment` reports the first outcome again.
public struct PaymentHandler: MailboxHandler {
    public init() {}

    public func handle(_ message: MailboxMessage, in turn: inout Turn) throws {
        switch message.type {
        case Commands.ProcessPayment.commandType:
            let envelope = try message.command(Commands.ProcessPayment.self)
            try self.process(envelope.payload, sagaID: envelope.sagaID ?? "", in: &turn)
        case Commands.RefundPayment.commandType:
            let envelope = try message.command(Commands.RefundPayment.self)
            try self.refund(envelope.payload, sagaID: envelope.sagaID ?? "", in: &turn)
        default:
            throw UnexpectedMessage(service: "payment", type: message.type)
        }
    }

    private func process(_ command: Commands.ProcessPayment, sagaID: String, in turn: inout Turn) throws {
        let connection = turn.connection
        let method = try connection.query(
            "SELECT gateway, payment_type FROM methods WHERE id = $1", [command.paymentMethodID]
        ).first
        let failure: String? =
            if method == nil { "unknown payment method \(command.paymentMethodID)" }
            else if command.paymentMethodID == "method-fail" { "payment declined by gateway fail" }
            else if command.paymentSum < 0 { "payment sum must not be negative" }
            else { nil }
        let paymentID = UUID().uuidString.lowercased()
        let externalID = failure == nil ? UUID().uuidString.lowercased() : nil
        let inserted = try connection.query(
            """
            INSERT INTO payments (id, order_id, user_id, amount, external_id, status, method_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (order_id) DO NOTHING
            """,
            [paymentID, command.orderID, command.userID, command.paymentSum, externalID,
             failure == nil ? "completed" : "failed", command.paymentMethodID]
        ).affected == 1
        // Already paid (or failed) for this order: answer with what happened then.
        let row = try connection.query(
            "SELECT id, amount, external_id, status, method_id FROM payments WHERE order_id = $1", [command.orderID]
        ).first!
        let status = try row.string("status")
        if status == "completed" {
            try turn.publish(
                Events.PaymentCompleted(
                    paymentID: try row.string("id"), orderID: command.orderID, userID: command.userID,
                    paymentSum: try row.int("amount"), paymentMethodID: try row.string("method_id"),
                    paymentExternalID: try row.optionalString("external_id") ?? "",
                    paymentType: try method?.string("payment_type") ?? "",
                    paymentGateway: try method?.string("gateway") ?? "", paymentStatus: "completed"),
                sagaID: sagaID)
        } else {
            try turn.publish(
                Events.PaymentFailed(
                    paymentID: try row.string("id"), orderID: command.orderID, userID: command.userID,
                    paymentSum: try row.int("amount"), paymentMethodID: try row.string("method_id"),
                    paymentStatus: status, error: inserted ? failure ?? status : "payment for this order is \(status)"),
                sagaID: sagaID)
        }
    }

    private func refund(_ command: Commands.RefundPayment, sagaID: String, in turn: inout Turn) throws {
        let refunded = try turn.connection.query(
            """
            UPDATE payments SET status = 'refunded', updated_at = now()
            WHERE (id = $1 OR order_id = $2) AND status IN ('completed', 'refunded')
            RETURNING id, order_id
            """,
            [command.paymentID, command.orderID ?? ""]
        ).first
        // Nothing to refund (the payment failed or never happened) is still a completed compensation.
        try turn.publish(
            Events.PaymentRefunded(
                orderID: try refunded?.string("order_id") ?? command.orderID ?? "",
                paymentID: try refunded?.string("id") ?? command.paymentID),
            sagaID: sagaID)
    }
}
