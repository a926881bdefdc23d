import Foundation
import Testing

@testable import ShopActors

/// The saga's transitions, without a database: every step's success and failure, deadlines, late and duplicate
/// answers, and compensation retries.
@Suite struct OrderSagaMachineTests {
    let configuration = OrderSaga.Configuration(stepDeadline: .seconds(30), compensationRetry: .seconds(1))
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let items = [Item(productID: "product-1", quantity: 2), Item(productID: "product-2", quantity: 1)]

    func started() -> OrderSagaState {
        let (state, actions) = OrderSaga.start(
            sagaID: "s-1", orderID: "o-1", userID: "u-1", paymentMethodID: "method-1", items: self.items, now: self.t0,
            configuration: self.configuration)
        #expect(actions == [.send(.createOrder)])
        return state
    }

    func at(_ seconds: Double) -> Date { self.t0 + seconds }

    /// Applies events in turn, one second apart; the actions of the last.
    @discardableResult
    func apply(_ events: [OrderSaga.Event], to state: inout OrderSagaState, from start: Double = 1) -> [OrderSaga
        .Action]
    {
        var actions: [OrderSaga.Action] = []
        for (index, event) in events.enumerated() {
            actions = OrderSaga.apply(
                .event(event), to: &state, now: self.at(start + Double(index)), configuration: self.configuration)
        }
        return actions
    }

    static let paid = OrderSaga.Event.paymentCompleted(paymentID: "p-1", externalID: "x-1", sum: 40000)
    static let validated = OrderSaga.Event.productsValidated([
        Item(productID: "product-1", name: "product-1", price: 10000),
        Item(productID: "product-2", name: "product-2", price: 20000),
    ])

    @Test func aNewSagaSendsCreateOrderWithAStepDeadline() {
        let state = self.started()
        #expect(state.status == .running && state.phase == .forward && state.step == 0 && state.attempt == 1)
        #expect(state.deadline == .init(at: self.at(30), kind: .step))
        #expect(state.timeline == [.init(step: 0, command: "CreateOrder", outcome: "running", startedAt: self.t0)])
    }

    @Test func everyStepSucceedingCompletesTheSaga() {
        var state = self.started()
        #expect(self.apply([.orderCreated], to: &state) == [.send(.validateProducts)])
        #expect(self.apply([Self.validated], to: &state, from: 2) == [.send(.reserveInventory)])
        #expect(state.items.map(\.price) == [10000, 20000])
        #expect(state.paymentSum == 2 * 10000 + 20000)
        #expect(self.apply([.inventoryReserved], to: &state, from: 3) == [.send(.processPayment)])
        #expect(self.apply([Self.paid], to: &state, from: 4) == [.send(.completeOrder)])
        #expect(state.paymentID == "p-1" && state.paymentExternalID == "x-1")
        #expect(self.apply([.orderCompleted], to: &state, from: 5) == [.finished(.completed)])
        #expect(state.status == .completed && state.deadline == nil && state.step == 5)
        #expect(
            state.timeline.map(\.command) == [
                "CreateOrder", "ValidateProducts", "ReserveInventory", "ProcessPayment", "CompleteOrder",
            ])
        #expect(state.timeline.allSatisfy { $0.outcome == "completed" && $0.finishedAt != nil })
        #expect(state.timeline[4].finishedAt == self.at(5))
    }

    @Test func failedProductValidationCancelsTheOrder() {
        var state = self.started()
        self.apply([.orderCreated], to: &state)
        #expect(
            self.apply([.productsValidationFailed(error: "unknown product x")], to: &state, from: 2) == [
                .send(.cancelOrder)
            ])
        #expect(state.status == .compensating && state.phase == .compensate && state.step == 0)
        #expect(state.timeline[1].outcome == "failed" && state.timeline[1].detail == "unknown product x")
        #expect(self.apply([.orderCancelled], to: &state, from: 3) == [.finished(.compensated)])
        #expect(state.status == .compensated && state.step == -1 && state.deadline == nil)
    }

    @Test func failedReservationSkipsValidationAndCancels() {
        var state = self.started()
        self.apply([.orderCreated, Self.validated], to: &state)
        #expect(self.apply([.inventoryReserveFailed(error: "short")], to: &state, from: 3) == [.send(.cancelOrder)])
        // Validation has nothing to undo: skipped, on the timeline.
        #expect(state.timeline.map(\.outcome) == ["completed", "completed", "failed", "skipped", "running"])
        #expect(self.apply([.orderCancelled], to: &state, from: 4) == [.finished(.compensated)])
    }

    @Test func failedPaymentReleasesStockThenCancels() {
        var state = self.started()
        self.apply([.orderCreated, Self.validated, .inventoryReserved], to: &state)
        #expect(self.apply([.paymentFailed(error: "declined")], to: &state, from: 4) == [.send(.releaseInventory)])
        #expect(state.step == 2)
        #expect(self.apply([.inventoryReleased], to: &state, from: 5) == [.send(.cancelOrder)])
        #expect(self.apply([.orderCancelled], to: &state, from: 6) == [.finished(.compensated)])
        #expect(
            state.timeline.map(\.command) == [
                "CreateOrder", "ValidateProducts", "ReserveInventory", "ProcessPayment", "ReleaseInventory", "–",
                "CancelOrder",
            ])
    }

    @Test func aForwardStepPastItsDeadlineIsCompensatedItself() {
        var state = self.started()
        self.apply([.orderCreated, Self.validated, .inventoryReserved, Self.paid], to: &state)
        // CompleteOrder never answers. Before its deadline nothing happens ...
        #expect(OrderSaga.apply(.deadline, to: &state, now: self.at(33), configuration: self.configuration).isEmpty)
        #expect(state.status == .running)
        // ... after it, the step counts as failed; it has no compensation, so the payment is refunded first.
        #expect(
            OrderSaga.apply(.deadline, to: &state, now: self.at(35), configuration: self.configuration) == [
                .send(.refundPayment)
            ])
        #expect(state.timeline[4].outcome == "timed_out")
        #expect(self.apply([.paymentRefunded, .inventoryReleased], to: &state, from: 36) == [.send(.cancelOrder)])
        #expect(self.apply([.orderCancelled], to: &state, from: 38) == [.finished(.compensated)])
    }

    @Test func aTimedOutStepThatMayHaveHappenedIsCompensated() {
        var state = self.started()
        self.apply([.orderCreated, Self.validated], to: &state)
        // ReserveInventory times out: it may have reserved, so it is released.
        #expect(
            OrderSaga.apply(.deadline, to: &state, now: self.at(40), configuration: self.configuration) == [
                .send(.releaseInventory)
            ])
        #expect(state.step == 2 && state.phase == .compensate)
    }

    @Test func lateAndDuplicateAnswersChangeNothing() {
        var state = self.started()
        self.apply([.orderCreated, Self.validated], to: &state)
        let before = state
        // A duplicate of an earlier step's answer, a failure of an earlier step, a compensation answer out of place.
        for event in [
            OrderSaga.Event.orderCreated, Self.validated, .productsValidationFailed(error: "late"), .orderCancelled,
            .paymentRefunded,
        ] {
            #expect(
                OrderSaga.apply(.event(event), to: &state, now: self.at(10), configuration: self.configuration).isEmpty)
        }
        #expect(state == before)
        // Once finished, nothing moves it.
        self.apply([.inventoryReserved, Self.paid, .orderCompleted], to: &state, from: 11)
        let finished = state
        #expect(self.apply([.orderCompleted, .paymentFailed(error: "x")], to: &state, from: 20).isEmpty)
        #expect(OrderSaga.apply(.deadline, to: &state, now: self.at(1000), configuration: self.configuration).isEmpty)
        #expect(state == finished)
    }

    @Test func aFailedCompensationIsRetriedWithBackoffUntilItSucceeds() {
        var state = self.started()
        self.apply([.orderCreated, Self.validated, .inventoryReserved, .paymentFailed(error: "declined")], to: &state)
        #expect(state.step == 2 && state.phase == .compensate)
        // The release fails: retried after 1 s, then 2 s, then 4 s.
        var now = 10.0
        for expected in [1.0, 2.0, 4.0] {
            #expect(self.apply([.inventoryReleaseFailed(error: "db down")], to: &state, from: now).isEmpty)
            #expect(state.deadline == .init(at: self.at(now + expected), kind: .retry))
            #expect(state.timeline.last?.outcome == "retrying" && state.timeline.last?.detail == "db down")
            // Not yet: nothing. Then the retry sends the release again.
            #expect(
                OrderSaga.apply(
                    .deadline, to: &state, now: self.at(now + expected - 0.5), configuration: self.configuration
                ).isEmpty)
            #expect(
                OrderSaga.apply(.deadline, to: &state, now: self.at(now + expected), configuration: self.configuration)
                    == [.send(.releaseInventory)])
            now += expected + 1
        }
        #expect(self.apply([.inventoryReleased], to: &state, from: now) == [.send(.cancelOrder)])
        #expect(state.compensationRetries == 0)
        #expect(state.timeline.filter { $0.command == "ReleaseInventory" }.count == 4)
    }

    @Test func theRetryDelayStopsGrowingAtTheStepDeadline() {
        let configuration = OrderSaga.Configuration(stepDeadline: .seconds(5), compensationRetry: .seconds(2))
        var state = self.started()
        for event in [OrderSaga.Event.orderCreated, Self.validated, .inventoryReserved, .paymentFailed(error: "x")] {
            _ = OrderSaga.apply(.event(event), to: &state, now: self.t0, configuration: configuration)
        }
        var delays: [TimeInterval] = []
        for _ in 0..<4 {
            _ = OrderSaga.apply(
                .event(.inventoryReleaseFailed(error: "x")), to: &state, now: self.t0, configuration: configuration)
            delays.append(state.deadline!.at.timeIntervalSince(self.t0))
        }
        #expect(delays == [2, 4, 5, 5])
    }

    @Test func aCompensationPastItsDeadlineIsSentAgain() {
        var state = self.started()
        self.apply([.orderCreated, .productsValidationFailed(error: "x")], to: &state)
        #expect(state.deadline == .init(at: self.at(32), kind: .step))
        #expect(
            OrderSaga.apply(.deadline, to: &state, now: self.at(32), configuration: self.configuration) == [
                .send(.cancelOrder)
            ])
        #expect(state.timeline.suffix(2).map(\.outcome) == ["timed_out", "running"])
        #expect(state.attempt == 4)  // CreateOrder, ValidateProducts, CancelOrder, CancelOrder again
        #expect(self.apply([.orderCancelled], to: &state, from: 33) == [.finished(.compensated)])
    }

    @Test func aCommandWithItsOwnDeadlineUsesItAndTheOthersKeepTheStepDeadline() {
        let configuration = OrderSaga.Configuration(
            stepDeadline: .seconds(30), compensationRetry: .seconds(1), deadlines: [.validateProducts: .seconds(4)])
        var state = self.started()
        _ = OrderSaga.apply(.event(.orderCreated), to: &state, now: self.at(1), configuration: configuration)
        #expect(state.deadline == .init(at: self.at(5), kind: .step))
        _ = OrderSaga.apply(.event(Self.validated), to: &state, now: self.at(2), configuration: configuration)
        #expect(state.deadline == .init(at: self.at(32), kind: .step))
    }
}
