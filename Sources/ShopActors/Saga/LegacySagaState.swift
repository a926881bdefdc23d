import Foundation

/// A saga as the first version stored it (a JSON document in `sagas.payload`), read once and converted: the next
/// save writes it as columns. Its timers are gone; the migration gave it a deadline in the row instead.
struct LegacySagaState: Decodable {
    var sagaID: String
    var orderID: String
    var userID: String
    var paymentMethodID: String
    var items: [Item]
    var paymentSum: Int
    var paymentID: String?
    var paymentExternalID: String?
    var step: Int
    var phase: String
    var status: OrderSagaState.Status
    var attempt: Int
    var compensationRetries: Int
    var timeline: [OrderSagaState.TimelineEntry]

    enum CodingKeys: String, CodingKey {
        case sagaID = "saga_id", orderID = "order_id", userID = "user_id", paymentMethodID = "payment_method_id"
        case items = "order_items", paymentSum = "payment_sum", paymentID = "payment_id"
        case paymentExternalID = "payment_external_id", step = "current_step", phase, status, attempt
        case compensationRetries = "compensation_retries", timeline
    }

    static func decode(_ json: String) throws -> OrderSagaState {
        let legacy = try Timestamps.jsonDecoder().decode(Self.self, from: Data(json.utf8))
        return OrderSagaState(
            sagaID: legacy.sagaID, orderID: legacy.orderID, userID: legacy.userID,
            paymentMethodID: legacy.paymentMethodID,
            items: legacy.items, paymentSum: legacy.paymentSum, paymentID: legacy.paymentID,
            paymentExternalID: legacy.paymentExternalID, step: legacy.step,
            phase: legacy.phase == "compensate" ? .compensate : .forward, status: legacy.status,
            attempt: legacy.attempt,
            compensationRetries: legacy.compensationRetries, deadline: nil, timeline: legacy.timeline)
    }
}
