import Testing

@testable import ShopActors

/// The gateway's load shedding, without a gateway: what counts as in flight, and when orders are refused.
@Suite struct AdmissionControlTests {
    @Test func ordersAreShedOnceTheSampleAndTheAcceptedSinceReachTheLimit() {
        let control = AdmissionControl(limit: 3)
        control.sample(inFlight: 1)
        #expect(control.admit())
        control.accepted()
        #expect(control.admit())
        control.accepted()
        // 1 sampled + 2 accepted since: the limit.
        #expect(!control.admit())
        #expect(!control.admit())
        #expect(control.report == AdmissionReport(accepted: 2, shed: 2, inFlight: 3, limit: 3))
    }

    @Test func aFreshSampleReplacesWhatWasCountedSinceTheLastOne() {
        let control = AdmissionControl(limit: 2)
        control.accepted()
        control.accepted()
        #expect(!control.admit())
        // The sagas finished one of them: room again.
        control.sample(inFlight: 1)
        #expect(control.admit())
        #expect(control.report.inFlight == 1)
        #expect(control.samples == 1)
    }

    @Test func aLimitOfZeroNeverSheds() {
        let control = AdmissionControl(limit: 0)
        control.sample(inFlight: 1_000_000)
        #expect(control.admit())
        #expect(control.report.shed == 0)
    }
}
