import ActorRuntime

extension OrderSagaHandler {
    /// A step command the saga sent (and that became a dead letter) may go again only while its saga still
    /// waits for that step: replaying `ProcessPayment` or `ReserveInventory` after the saga compensated, or
    /// `CompleteOrder` after it cancelled, would apply an effect nobody wants any more (a payment on a
    /// cancelled order, stock held for ever). Compensations (refund, release, cancel) are idempotent and may
    /// always go again.
    @available(*, noasync)
    public func refuseReplay(_ candidates: [ReplayCandidate], connection: PostgresConnection) throws -> [Int64: String]
    {
        let stepOf = Dictionary(uniqueKeysWithValues: OrderSaga.steps.enumerated().map { ($1.command.name, $0) })
        let steps = candidates.filter { $0.sagaID != nil && stepOf[$0.type] != nil }
        guard !steps.isEmpty else { return [:] }
        var sagas: [String: (status: String, phase: Int, step: Int)] = [:]
        for row in try connection.query(
            "SELECT id, status, phase, current_step FROM sagas WHERE id = ANY($1::text[])",
            [PostgresArray(Array(Set(steps.compactMap(\.sagaID))))]
        ).rows {
            sagas[try row.string("id")] = (try row.string("status"), try row.int("phase"), try row.int("current_step"))
        }
        var refusals: [Int64: String] = [:]
        for candidate in steps {
            let sagaID = candidate.sagaID!
            guard let saga = sagas[sagaID] else {
                refusals[candidate.outboxID] = "saga \(sagaID) does not exist here"
                continue
            }
            if saga.status == OrderSagaState.Status.completed.rawValue
                || saga.status == OrderSagaState.Status.compensated.rawValue
            {
                refusals[candidate.outboxID] =
                    "saga \(sagaID) has finished (\(saga.status)); \(candidate.type) would take effect after it"
            } else if saga.phase != OrderSagaState.Phase.forward.rawValue {
                refusals[candidate.outboxID] =
                    "saga \(sagaID) is compensating; \(candidate.type) would take effect after it gave the step up"
            } else if saga.step != stepOf[candidate.type] {
                refusals[candidate.outboxID] = "saga \(sagaID) has moved past \(candidate.type)"
            }
        }
        return refusals
    }
}
