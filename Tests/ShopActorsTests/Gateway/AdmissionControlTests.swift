import Testing

@testable import ShopActors

/// The gateway's load shedding, without a gateway: what counts as in flight, and when orders are refused.
@Suite struct AdmissionControlTests {
    @Test func ordersAreShedOnceTheSampleAndTheAcceptedSinceReachTheLimit() {
        let control = AdmissionControl(limit: 3)
        control.sample(inFlight: 1, since: control.beginSample())
        #expect(control.admit())
        control.settle(accepted: true)
        #expect(control.admit())
        control.settle(accepted: true)
        // 1 sampled + 2 accepted since: the limit.
        #expect(!control.admit())
        #expect(!control.admit())
        #expect(control.report == AdmissionReport(accepted: 2, shed: 2, inFlight: 3, limit: 3))
    }

    @Test func ordersStillBeingRecordedCountSoABurstCannotOvershoot() {
        let control = AdmissionControl(limit: 2)
        // Two admitted, neither committed yet: a third is shed.
        #expect(control.admit())
        #expect(control.admit())
        #expect(!control.admit())
        // One turned out to be a replay (nothing new recorded): room again.
        control.settle(accepted: false)
        #expect(control.admit())
        #expect(control.report.inFlight == 2)
    }

    @Test func aSampleKeepsWhatWasAcceptedWhileItWasBeingRead() {
        let control = AdmissionControl(limit: 10)
        #expect(control.admit())
        control.settle(accepted: true)
        let mark = control.beginSample()
        // Accepted while the counts were being read: the sample may not include it.
        #expect(control.admit())
        control.settle(accepted: true)
        control.sample(inFlight: 1, since: mark)
        #expect(control.report.inFlight == 2)
        #expect(control.samples == 1)
    }

    @Test func aFreshSampleReplacesWhatWasCountedBeforeIt() {
        let control = AdmissionControl(limit: 2)
        for _ in 0..<2 {
            #expect(control.admit())
            control.settle(accepted: true)
        }
        #expect(!control.admit())
        // The sagas finished one of them.
        control.sample(inFlight: 1, since: control.beginSample())
        #expect(control.admit())
    }

    @Test func aLimitOfZeroNeverSheds() {
        let control = AdmissionControl(limit: 0)
        control.sample(inFlight: 1_000_000, since: 0)
        #expect(control.admit())
        #expect(control.report.shed == 0)
    }
}
