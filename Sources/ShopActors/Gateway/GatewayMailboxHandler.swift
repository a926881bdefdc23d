import ActorRuntime

extension Commands.SagaCreateOrder {
    /// The command in one of the gateway's outbox rows (its payload column), or nil if it is not one.
    static func fromOutbox(payload: [UInt8]) -> Self? {
        let message = MailboxMessage(id: "", type: Self.commandType, sagaID: nil, payload: payload, source: "gateway")
        return try? message.decode(Self.self)
    }
}

/// The gateway's mailbox only sends (orders arrive over HTTP). Its one judgement: a dead `SagaCreateOrder`
/// whose order the reconciler resolved as rejected is not replayed (the client was told the order failed).
struct GatewayMailboxHandler: MailboxHandler {
    func handle(_ message: MailboxMessage, in turn: inout Turn) throws {
        throw UnexpectedMessage(service: "gateway", type: message.type)
    }

    @available(*, noasync)
    func refuseReplay(_ candidates: [ReplayCandidate], connection: PostgresConnection) throws -> [Int64: String] {
        let creates = candidates.filter { $0.type == Commands.SagaCreateOrder.commandType }
        guard !creates.isEmpty else { return [:] }
        var orderOf: [Int64: String] = [:]
        for row in try connection.query(
            "SELECT id, payload FROM outbox WHERE id = ANY($1::bigint[])",
            [PostgresIntArray(creates.map { Int($0.outboxID) })]
        ).rows {
            if let command = Commands.SagaCreateOrder.fromOutbox(payload: try row.bytes("payload")) {
                orderOf[Int64(try row.int("id"))] = command.orderID
            }
        }
        var resolved: [String: String] = [:]
        for row in try connection.query(
            "SELECT id, resolution FROM orders WHERE id = ANY($1::text[]) AND resolution IS NOT NULL",
            [PostgresArray(Array(orderOf.values))]
        ).rows {
            resolved[try row.string("id")] = try row.string("resolution")
        }
        var refusals: [Int64: String] = [:]
        for (outboxID, orderID) in orderOf {
            if let resolution = resolved[orderID] {
                refusals[outboxID] = "order \(orderID) was resolved (\(resolution)); its saga may not start now"
            }
        }
        return refusals
    }
}
