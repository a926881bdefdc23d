import ActorRuntime
import ActorRuntimeTestSupport
import Foundation
import Logging
import Testing

@testable import ShopActors

/// The saga's stored forms and in-memory queue, without a database.
@Suite struct SagaStorageFormatTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func theTimelineLogAppendsOnlyWhatChangedAndFoldsBack() {
        let first: [OrderSagaState.TimelineEntry] = [
            .init(step: 0, command: "CreateOrder", outcome: "running", startedAt: self.t0)
        ]
        var second = first
        second[0].outcome = "failed"
        second[0].finishedAt = self.t0 + 1
        second[0].detail = "tab\there\nnewline"
        second.append(.init(step: 0, command: "–", outcome: "skipped", startedAt: self.t0 + 1, finishedAt: self.t0 + 1))
        second.append(.init(step: 0, command: "CancelOrder", outcome: "running", startedAt: self.t0 + 1))
        let log = SagaTimelineLog.encode(first) + SagaTimelineLog.append(from: first, to: second)
        #expect(SagaTimelineLog.append(from: first, to: second).hasPrefix("F\tfailed\t"))
        let back = SagaTimelineLog.decode(log)
        #expect(back.count == 3)
        #expect(
            back[0].outcome == "failed" && back[0].detail == "tab here newline" && back[0].finishedAt == self.t0 + 1)
        #expect(back[1].command == "–" && back[1].outcome == "skipped")
        #expect(back[2].command == "CancelOrder" && back[2].finishedAt == nil)
        #expect(SagaTimelineLog.append(from: second, to: second).isEmpty)
        #expect(SagaTimelineLog.decode("garbage\nS\tx\n\tF\n").isEmpty)
    }

    @Test func theDueQueueHandsOutOnlyCurrentDeadlinesInOrder() {
        let clock = ManualClock()
        let deadlines = SagaDeadlines(clock: RuntimeClock(clock))
        deadlines.set("a", remaining: 0)
        deadlines.set("b", remaining: 0)
        deadlines.set("b", remaining: 3600)  // moved on: the first entry is stale
        deadlines.set("c", remaining: 0)
        deadlines.set("c", remaining: nil)  // finished
        let (due, next) = deadlines.takeDue(now: .milliseconds(10))
        #expect(due == ["a"])
        #expect(next == .seconds(3600))
        #expect(deadlines.takeDue(now: .milliseconds(10)).due.isEmpty)
        #expect(deadlines.takeDue(now: .seconds(3599)).due.isEmpty)
        #expect(deadlines.takeDue(now: .seconds(3600)).due == ["b"])
    }

    /// The sweep runs on the injected clock: an hour-long deadline fires as soon as the test moves the clock an
    /// hour on, and not before.
    @Test(.timeLimit(.minutes(1))) func theSweepFiresWhenItsClockReachesADeadline() async throws {
        let clock = ManualClock()
        let deadlines = SagaDeadlines(tick: .seconds(60), clock: RuntimeClock(clock))
        deadlines.set("soon", remaining: 1)
        deadlines.set("later", remaining: 3600)
        let (fired, firedContinuation) = AsyncStream.makeStream(of: [String].self)
        let sweep = Task {
            await deadlines.sweep(logger: Logger(label: "test")) { due in firedContinuation.yield(due) }
        }
        defer { sweep.cancel() }
        var firings = fired.makeAsyncIterator()

        try await Self.untilAsleep(clock, deadline: .seconds(1))
        clock.advance(by: .milliseconds(999))
        try await Self.untilAsleep(clock, deadline: .seconds(1))  // nothing due yet: asleep again until 1 s
        clock.advance(by: .milliseconds(1))
        #expect(await firings.next() == ["soon"])

        try await Self.untilAsleep(clock, deadline: .seconds(61))  // the tick, sooner than the hour
        for minute in 1...58 {
            clock.advance(by: .seconds(60))
            try await Self.untilAsleep(clock, deadline: .seconds(1 + 60 * (minute + 1)))
        }
        clock.advance(by: .seconds(60))  // 3,541 s: less than a tick to go
        try await Self.untilAsleep(clock, deadline: .seconds(3600))
        clock.advance(by: .seconds(59))
        #expect(await firings.next() == ["later"])
    }

    /// Waits until the sweep sleeps on `clock` until `deadline`.
    private static func untilAsleep(_ clock: ManualClock, deadline: Duration) async throws {
        try await eventually("the sweep sleeps until \(deadline)", every: .milliseconds(1)) {
            clock.nextDeadline == ManualClock.Instant(offset: deadline)
        }
    }

    @Test func aHeapPopsInTimeOrder() {
        var heap = DueHeap()
        let offsets = [5, 1, 9, 3, 7, 2, 8, 0, 6, 4]
        for offset in offsets { heap.push(.seconds(offset), "\(offset)") }
        var popped: [String] = []
        while let (_, id) = heap.peek() {
            popped.append(id)
            heap.pop()
        }
        #expect(popped == (0..<10).map(String.init))
    }
}
