import Synchronization

/// Deliveries to one service that arrive while its previous turn is still running. They wait here and the
/// next turn handles them together: under load, the batches of several senders share one transaction, one
/// inbox insert, one handler call and one commit, instead of one each. A lone delivery does not wait for
/// company; it starts a turn at once.
final class ReceiveQueue: Sendable {
    struct Waiting: Sendable {
        var id: UInt64
        var batch: DeliveryBatch
        var continuation: CheckedContinuation<DeliveryReport, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var running = false
        var lastID: UInt64 = 0
    }

    private let state = Mutex(State())
    /// Most messages one group takes (the first delivery always goes in whole).
    let maxMessages: Int

    init(maxMessages: Int) {
        self.maxMessages = maxMessages
    }

    /// A ticket for `enqueue` (and `cancel`).
    func nextID() -> UInt64 {
        self.state.withLock { state in
            state.lastID += 1
            return state.lastID
        }
    }

    /// Queues a delivery; true when nothing is running, so the caller must start the turns.
    func enqueue(_ waiting: Waiting) -> Bool {
        self.state.withLock { state in
            state.waiting.append(waiting)
            guard !state.running else { return false }
            state.running = true
            return true
        }
    }

    /// Takes back a delivery whose caller gave up (its call timed out), if no turn has taken it yet; a taken
    /// one runs to the end (its effects may already be committing).
    func cancel(_ id: UInt64) -> Waiting? {
        self.state.withLock { state in
            guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiting.remove(at: index)
        }
    }

    /// The deliveries for the next turn, in arrival order; nil (and nothing running) when none wait.
    func next() -> [Waiting]? {
        self.state.withLock { state in
            guard !state.waiting.isEmpty else {
                state.running = false
                return nil
            }
            var count = 0
            var taken = 0
            for waiting in state.waiting {
                if taken > 0, count + waiting.batch.messages.count > self.maxMessages { break }
                count += waiting.batch.messages.count
                taken += 1
            }
            let group = Array(state.waiting.prefix(taken))
            state.waiting.removeFirst(taken)
            return group
        }
    }
}
