import Logging
import NIOCore
import Synchronization

/// An established, authenticated connection to one peer: pending calls, the outbound queue, liveness.
///
/// Writes from any thread are queued and flushed once per event-loop tick, so a burst of calls or replies
/// becomes one `writev`. Exactly one of reply, deadline, cancellation or connection loss resolves each call.
final class PeerConnection: Sendable {
    let channel: any Channel
    let peer: Handshake.PeerIdentity
    /// Where inbound calls of this connection run.
    let executor: EventLoopTaskExecutor
    private let state: Mutex<State>
    /// When the last frame arrived (ns of `clock`); drives failure detection.
    let lastHeardNanos: Atomic<UInt64>
    /// The cluster's runtime clock (`ClusterSystem.Settings.clock`).
    let clock: RuntimeClock
    /// Last measured heartbeat round trip (ns); 0 until the first pong.
    let rttNanos = Atomic<UInt64>(0)
    /// Set when the peer said goodbye: its departure is deliberate, so it is `down`, not `unreachable`.
    let saidGoodbye = Atomic<Bool>(false)
    private let pingSequence = Atomic<UInt64>(0)

    private struct Pending {
        var continuation: UnsafeContinuation<Wire.Reply.Outcome, any Error>
        var deadlineNanos: UInt64
        var target: String
        var timeout: Duration
    }

    private struct State {
        var pending: [UInt64: Pending] = [:]
        /// A lower bound of the pending deadlines: the sweep skips its scan until then.
        var earliestDeadline = UInt64.max
        var outbound: [Wire.Outbound] = []
        /// Body bytes in `outbound`.
        var outboundBytes = 0
        var flushScheduled = false
        /// Once set, new calls fail with it at once and nothing more is written.
        var closedError: RuntimeError?
    }

    /// How often pending calls are checked against their deadlines: one timer per connection instead of one
    /// per call.
    static let deadlineSweepInterval = TimeAmount.milliseconds(5)

    /// Most body bytes queued for a peer that does not read.
    let maxOutboundBytes: Int

    init(
        channel: any Channel, peer: Handshake.PeerIdentity, maxOutboundBytes: Int = 64 << 20,
        clock: RuntimeClock = .continuous
    ) {
        self.maxOutboundBytes = maxOutboundBytes
        self.clock = clock
        self.channel = channel
        self.peer = peer
        self.executor = EventLoopTaskExecutor(channel.eventLoop)
        self.state = Mutex(State())
        self.lastHeardNanos = Atomic(clock.nowNanoseconds)
    }

    /// Starts the deadline sweep; it stops when the channel closes.
    func startDeadlineSweep() {
        let sweep = self.channel.eventLoop.scheduleRepeatedTask(
            initialDelay: Self.deadlineSweepInterval,
            delay: Self.deadlineSweepInterval
        ) { _ in self.expireOverdueCalls() }
        self.channel.closeFuture.whenComplete { _ in sweep.cancel() }
    }

    private func expireOverdueCalls() {
        let now = NIODeadline.now().uptimeNanoseconds
        let expired = self.state.withLock { state -> [Pending] in
            guard now >= state.earliestDeadline else { return [] }
            var expired: [Pending] = []
            var earliest = UInt64.max
            for (id, call) in state.pending {
                if call.deadlineNanos <= now {
                    expired.append(call)
                    state.pending[id] = nil
                } else {
                    earliest = min(earliest, call.deadlineNanos)
                }
            }
            state.earliestDeadline = earliest
            return expired
        }
        for call in expired {
            call.continuation.resume(throwing: RuntimeError.callTimedOut(call.target, after: call.timeout))
        }
    }

    // MARK: Outbound

    /// Queues a frame; the first frame queued in a tick schedules one flush for all of them.
    ///
    /// - Returns: false when the frame was not queued: the connection is closed, or the peer has stopped
    ///   reading and `maxOutboundBytes` are already waiting for it.
    @discardableResult
    func send(_ outbound: Wire.Outbound) -> Bool {
        let bytes = outbound.maxBodyBytes
        let (queued, scheduleFlush) = self.state.withLock { state -> (Bool, Bool) in
            guard state.closedError == nil else { return (false, false) }
            guard state.outboundBytes + bytes <= self.maxOutboundBytes || state.outbound.isEmpty else {
                return (false, false)
            }
            state.outbound.append(outbound)
            state.outboundBytes += bytes
            guard !state.flushScheduled else { return (true, false) }
            state.flushScheduled = true
            return (true, true)
        }
        if scheduleFlush {
            self.channel.eventLoop.execute { self.drain() }
        }
        return queued
    }

    /// Writes what is queued, unless the socket is full: then it waits for `drainIfWritable` (the channel's
    /// writability change), so the queue, not NIO's buffers, holds the backlog, and its cap applies.
    private func drain() {
        guard self.channel.isWritable else {
            self.state.withLock { $0.flushScheduled = false }
            return
        }
        let frames = self.state.withLock { state -> [Wire.Outbound] in
            state.flushScheduled = false
            state.outboundBytes = 0
            defer { state.outbound = [] }
            return state.outbound
        }
        guard !frames.isEmpty else { return }
        // One batch: serialised into one buffer and one write by FrameEncoder.
        self.channel.writeAndFlush(frames, promise: nil)
    }

    /// On the event loop, when the channel became writable again.
    func drainIfWritable() {
        self.drain()
    }

    // MARK: Calls

    /// Sends `call` and waits for its outcome.
    ///
    /// - Throws: `RuntimeError` `.callTimedOut`, `.peerUnreachable` (connection lost), `.shuttingDown`, or
    ///   `CancellationError` if the calling task is cancelled.
    func call(_ call: Wire.Call, timeout: Duration, target: String) async throws -> Wire.Reply.Outcome {
        let callID = call.callID
        let deadline = NIODeadline.now().uptimeNanoseconds + UInt64(max(timeout.nanoseconds, 0))
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                let refused = self.state.withLock { state -> RuntimeError? in
                    if let closed = state.closedError { return closed }
                    state.pending[callID] = Pending(
                        continuation: continuation,
                        deadlineNanos: deadline,
                        target: target,
                        timeout: timeout
                    )
                    state.earliestDeadline = min(state.earliestDeadline, deadline)
                    return nil
                }
                if let refused {
                    continuation.resume(throwing: refused)
                    return
                }
                if !self.send(.call(call)) {
                    self.resolve(
                        callID,
                        with: .failure(
                            RuntimeError.peerUnreachable(
                                self.peer.node, "\(self.maxOutboundBytes) bytes are already waiting for it to read")))
                }
            }
        } onCancel: {
            self.resolve(callID, with: .failure(CancellationError()))
        }
    }

    /// Resolves a pending call, if it is still pending (the first resolution wins).
    func resolve(_ callID: UInt64, with result: Result<Wire.Reply.Outcome, any Error>) {
        guard let pending = self.state.withLock({ $0.pending.removeValue(forKey: callID) }) else { return }
        pending.continuation.resume(with: result)
    }

    /// Marks the connection closed and fails every pending call with `error`.
    func failAll(_ error: RuntimeError) {
        let pending = self.state.withLock { state -> [Pending] in
            if state.closedError == nil { state.closedError = error }
            state.outbound = []
            defer { state.pending = [:] }
            return Array(state.pending.values)
        }
        for call in pending {
            call.continuation.resume(throwing: error)
        }
    }

    // MARK: Liveness

    func heard() {
        self.lastHeardNanos.store(self.clock.nowNanoseconds, ordering: .relaxed)
    }

    func sendPing() {
        let sequence = self.pingSequence.add(1, ordering: .relaxed).newValue
        self.send(.frame(.ping(Wire.Ping(sequence: sequence, sentAtNanos: NIODeadline.now().uptimeNanoseconds))))
    }

    func receivedPong(_ pong: Wire.Ping) {
        let now = NIODeadline.now().uptimeNanoseconds
        if now >= pong.sentAtNanos { self.rttNanos.store(now - pong.sentAtNanos, ordering: .relaxed) }
    }
}
