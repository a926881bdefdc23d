import ActorRuntime
import Foundation
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
        let deadlines = SagaDeadlines()
        deadlines.set("a", remaining: 0)
        deadlines.set("b", remaining: 0)
        deadlines.set("b", remaining: 3600)  // moved on: the first entry is stale
        deadlines.set("c", remaining: 0)
        deadlines.set("c", remaining: nil)  // finished
        let (due, next) = deadlines.takeDue(now: .now + .milliseconds(10))
        #expect(due == ["a"])
        #expect(next != nil)
        #expect(deadlines.takeDue(now: .now + .milliseconds(10)).due.isEmpty)
        #expect(deadlines.takeDue(now: .now + .seconds(3601)).due == ["b"])
    }

    @Test func aHeapPopsInTimeOrder() {
        var heap = DueHeap()
        let base = ContinuousClock.now
        let offsets = [5, 1, 9, 3, 7, 2, 8, 0, 6, 4]
        for offset in offsets { heap.push(base + .seconds(offset), "\(offset)") }
        var popped: [String] = []
        while let (_, id) = heap.peek() {
            popped.append(id)
            heap.pop()
        }
        #expect(popped == (0..<10).map(String.init))
    }
}
