import ActorRuntime
import Foundation
import NIOHTTP1
import HTTPTestSupport
import Synchronization

/// The orders benchmark's clients: logged-in users posting orders over keep-alive connections, and the
/// record of when each order was posted and when it finished.
final class OrdersLoad: Sendable {
    struct User: Sendable {
        var auth: (String, String)
    }

    struct Pending: Sendable {
        /// When the order was due (its scheduled time with `--rate`, else when it was posted), on the uptime clock.
        var start: ContinuousClock.Instant
        var auth: (String, String)
    }

    struct Finished: Sendable {
        var postedAt: Double  // seconds since the load started
        var latencyMs: Double
        var completed: Bool
    }

    private struct Tracking {
        var pending: [String: Pending] = [:]
        /// Final statuses seen before their POST's answer was read (rare; kept so no order is missed).
        var early: [String: (ContinuousClock.Instant, String)] = [:]
    }

    private let tracking = Mutex(Tracking())
    private let finished = Mutex<[Finished]>([])
    private let failures = Mutex<(http: Int, lastError: String?)>((0, nil))
    /// POSTs answered 503 (admission control shed them): not failures, not orders.
    let shedCount = Atomic<Int>(0)
    private let started = Mutex(ContinuousClock.now)
    /// When posting began (`begin()`): latencies and the throughput window count from here.
    var startedAt: ContinuousClock.Instant { self.started.withLock { $0 } }

    func begin() {
        self.started.withLock { $0 = .now }
    }
    let postingDone = Atomic<Bool>(false)
    let port: Int
    let host: String

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Registers and logs in `count` users (bcrypt makes this the slow part), `parallel` at a time.
    func makeUsers(_ count: Int, parallel: Int = 8) async throws -> [User] {
        let run = UInt32.random(in: 0...UInt32.max)
        return try await withThrowingTaskGroup(of: [User].self) { group in
            for worker in 0..<parallel {
                group.addTask {
                    let http = try await HTTPTestClient(host: self.host, port: self.port)
                    defer { Task { await http.close() } }
                    var users: [User] = []
                    for index in stride(from: worker, to: count, by: parallel) {
                        let email = "bench-\(run)-\(index)@example.com"
                        let body = #"{"name":"bench","email":"\#(email)","password":"bench-password"}"#
                        let registered = try await http.request(.POST, "/auth/register", json: body)
                        guard registered.status == 200 else {
                            throw BenchError("register failed: \(registered.status) \(registered.text)")
                        }
                        let login = try await http.request(.POST, "/auth/login", json: body)
                        guard login.status == 200, let token = try login.json()["session_id"] as? String else {
                            throw BenchError("login failed: \(login.status) \(login.text)")
                        }
                        users.append(User(auth: ("Authorization", "Bearer \(token)")))
                    }
                    return users
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }

    static let orderBodies = (1...3).map { product in
        #"{"payment_method_id":"method-1","order_items":[{"product_id":"product-\#(product)","quantity":1}]}"#
    }

    /// One client: posts orders until `deadline`, back to back or at the given interval (open loop: a late
    /// order counts from when it was due, so a slow system cannot hide its queueing).
    ///
    /// Client `index` of `count` starts `interval × index / count` in, so the clients' orders are spread evenly
    /// over each interval instead of arriving as a burst.
    func client(_ user: User, index: Int, of count: Int, until deadline: ContinuousClock.Instant, interval: Duration?)
        async throws
    {
        let http = try await HTTPTestClient(host: self.host, port: self.port)
        defer { Task { await http.close() } }
        var due = ContinuousClock.now + (interval.map { $0 * (Double(index) / Double(count)) } ?? .zero)
        var sequence = index
        while ContinuousClock.now < deadline {
            if interval != nil, ContinuousClock.now < due { try await Task.sleep(until: due) }
            let start = interval == nil ? ContinuousClock.now : due
            sequence += 1
            do {
                let response = try await http.request(
                    .POST, "/api/orders", headers: [user.auth], json: Self.orderBodies[sequence % 3])
                if response.status == 200, let id = try response.json()["order_id"] as? String {
                    self.accept(id, Pending(start: start, auth: user.auth))
                } else if response.status == 503 {
                    // Shed: with --rate the order is simply not placed; flat out, back off briefly.
                    self.shedCount.add(1, ordering: .relaxed)
                    if interval == nil { try await Task.sleep(for: .milliseconds(50)) }
                } else {
                    self.fail("POST /api/orders: \(response.status) \(response.text.prefix(200))")
                }
            } catch {
                self.fail("POST /api/orders: \(error)")
                try await Task.sleep(for: .milliseconds(100))
            }
            if let interval { due = due + interval }
        }
    }

    func fail(_ error: String) {
        self.failures.withLock { $0 = ($0.http + 1, error) }
    }

    var pendingIDs: [String] { self.tracking.withLock { Array($0.pending.keys) } }
    var pendingEntries: [(String, Pending)] { self.tracking.withLock { $0.pending.map { ($0.key, $0.value) } } }
    var inFlight: Int { self.tracking.withLock { $0.pending.count } }
    var results: [Finished] { self.finished.withLock { $0 } }
    var httpFailures: (count: Int, last: String?) { self.failures.withLock { ($0.http, $0.lastError) } }

    private func accept(_ id: String, _ entry: Pending) {
        let early = self.tracking.withLock { tracking -> (ContinuousClock.Instant, String)? in
            guard let early = tracking.early.removeValue(forKey: id) else {
                tracking.pending[id] = entry
                return nil
            }
            return early
        }
        if let (at, status) = early { self.record([(entry, at, status)]) }
    }

    /// Marks orders finished now (their final status was seen).
    func finish(_ orders: [(String, String)]) {
        let now = ContinuousClock.now
        let done: [(Pending, ContinuousClock.Instant, String)] = self.tracking.withLock { tracking in
            orders.compactMap { id, status in
                guard let entry = tracking.pending.removeValue(forKey: id) else {
                    tracking.early[id] = (now, status)
                    return nil
                }
                return (entry, now, status)
            }
        }
        self.record(done)
    }

    private func record(_ done: [(Pending, ContinuousClock.Instant, String)]) {
        let finished = done.map { entry, at, status in
            Finished(
                postedAt: (entry.start - self.startedAt).seconds, latencyMs: (at - entry.start).seconds * 1000,
                completed: status == "order_completed")
        }
        self.finished.withLock { $0 += finished }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
