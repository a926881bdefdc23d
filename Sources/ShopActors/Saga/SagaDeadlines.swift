import ActorRuntime
import Logging
import Synchronization

/// The saga service's in-memory side: when each unfinished saga's deadline falls due (a queue filled from the
/// rows when the service starts and kept current by every committed turn), and how many sagas are unfinished.
/// A sweep runs the due sagas' deadlines as a turn. Nothing here is the truth: the rows are, and a turn checks
/// `deadline_at <= now()` on the database's clock before acting.
public final class SagaDeadlines: Sendable {
    private struct State {
        /// The current deadline of each saga, by `clock`.
        var due: [String: Duration] = [:]
        /// (when, saga) ordered by `when`; entries whose time no longer matches `due` are stale and skipped.
        var heap = DueHeap()
        var unfinished = 0
    }

    private let state = Mutex(State())
    /// How often the sweep looks when nothing is due sooner. Defaults to 250 ms.
    let tick: Duration
    /// What the sweep reads and sleeps on (tests pass a manual clock). A due saga is still checked against the
    /// database's clock by the turn that runs it.
    let clock: RuntimeClock

    public init(tick: Duration = .milliseconds(250), clock: RuntimeClock = .continuous) {
        self.tick = tick
        self.clock = clock
    }

    /// Sagas not yet completed or compensated (what admission control and `node status` read).
    public var unfinished: Int { self.state.withLock { $0.unfinished } }

    /// Sets (or clears, with nil) a saga's deadline, `remaining` from now.
    func set(_ sagaID: String, remaining: Double?) {
        self.state.withLock { state in
            guard let remaining else {
                state.due[sagaID] = nil
                return
            }
            let at = self.clock.now + .milliseconds(Int64(max(remaining, 0) * 1000))
            state.due[sagaID] = at
            state.heap.push(at, sagaID)
        }
    }

    func adjustUnfinished(by delta: Int) {
        self.state.withLock { $0.unfinished += delta }
    }

    /// Removes and returns the sagas due by `now` (at most `limit`), and when the next one falls due.
    func takeDue(now: Duration, limit: Int = 500) -> (due: [String], next: Duration?) {
        self.state.withLock { state in
            var taken: [String] = []
            while taken.count < limit, let (at, sagaID) = state.heap.peek(), at <= now {
                state.heap.pop()
                guard state.due[sagaID] == at else { continue }  // stale: the saga moved on
                state.due[sagaID] = nil
                taken.append(sagaID)
            }
            return (taken, state.heap.peek()?.0)
        }
    }

    /// Reads every unfinished saga's deadline (before the service takes deliveries, so nothing is counted twice).
    func load(client: PostgresClient, logger: Logger) async {
        while !Task.isCancelled {
            do {
                let deadlines = try await SagaStore.deadlines(client: client)
                for (sagaID, remaining) in deadlines { self.set(sagaID, remaining: remaining) }
                self.state.withLock { $0.unfinished = deadlines.count }
                return
            } catch {
                logger.warning("cannot read saga deadlines yet; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Sweeps until cancelled: the sagas whose deadlines fall due go to `fire`, together, as one turn.
    func sweep(logger: Logger, fire: @escaping @Sendable ([String]) async throws -> Void) async {
        while !Task.isCancelled {
            let (due, next) = self.takeDue(now: self.clock.now)
            if !due.isEmpty {
                do {
                    try await fire(due)
                } catch {
                    logger.warning(
                        "saga deadlines failed; retrying", metadata: ["error": "\(error)", "sagas": "\(due.count)"])
                    for sagaID in due { self.set(sagaID, remaining: 1) }
                }
                continue
            }
            let wait = next.map { min(max($0 - self.clock.now, .milliseconds(1)), self.tick) } ?? self.tick
            try? await self.clock.sleep(for: wait)
        }
    }
}

/// A binary min-heap of (due time, saga id).
struct DueHeap {
    private var items: [(Duration, String)] = []

    func peek() -> (Duration, String)? { self.items.first }

    mutating func push(_ at: Duration, _ id: String) {
        self.items.append((at, id))
        var child = self.items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard self.items[child].0 < self.items[parent].0 else { break }
            self.items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() {
        guard !self.items.isEmpty else { return }
        self.items.swapAt(0, self.items.count - 1)
        self.items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < self.items.count, self.items[left].0 < self.items[smallest].0 { smallest = left }
            if right < self.items.count, self.items[right].0 < self.items[smallest].0 { smallest = right }
            guard smallest != parent else { return }
            self.items.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
