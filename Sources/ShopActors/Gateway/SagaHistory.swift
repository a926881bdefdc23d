import Foundation
import Synchronization

/// Saga counts sampled every few seconds for the last minutes, so the dashboard can show outcomes over time
/// from the moment it opens.
final class SagaHistory: Sendable {
    struct Sample: Codable, Sendable {
        var at: Date
        var completed: Int
        var compensated: Int
        var running: Int
    }

    private let samples = Mutex<[Sample]>([])
    let capacity: Int

    init(capacity: Int = 90) {
        self.capacity = capacity
    }

    func record(_ counts: [String: Int], at date: Date = Date()) {
        let sample = Sample(
            at: date, completed: counts["completed"] ?? 0, compensated: counts["compensated"] ?? 0,
            running: (counts["running"] ?? 0) + (counts["compensating"] ?? 0))
        self.samples.withLock { samples in
            samples.append(sample)
            if samples.count > self.capacity { samples.removeFirst(samples.count - self.capacity) }
        }
    }

    var all: [Sample] { self.samples.withLock { $0 } }
}
