import ActorRuntime
import Foundation

/// The saga's rows: one statement loads a batch of sagas (locked), one inserts the new ones, one writes back
/// the changed ones. Deadlines are stored on the database's clock (`now() +` what remains), so every process
/// compares them with the same clock; in memory they are kept relative to this process's clock.
enum SagaStore {
    /// A saga as loaded: its state, and what it looked like then (to write only the change).
    struct Loaded {
        var state: OrderSagaState
        /// Converted from the earlier JSON form: the next save writes the whole row.
        var legacy: Bool
        var original: OrderSagaState
    }

    /// The columns of a saga; its timeline only when `timeline` (a turn needs just whether the last entry is
    /// open, which the state tells: parsing the log was a twentieth of the node's CPU).
    static func columns(timeline: Bool) -> String {
        """
        id, order_id, user_id, payment_method_id, items, payment_sum, payment_id, payment_external_id, current_step,
        phase, status, attempt, compensation_retries, deadline_kind,
        extract(epoch FROM deadline_at - now())::float8 AS remaining, \(timeline ? "timeline" : "NULL::text AS timeline"),
        CASE WHEN items IS NULL THEN payload::text END AS legacy
        """
    }

    /// Loads and locks the sagas of `ids` (in id order, so concurrent turns lock in the same order).
    ///
    /// - Parameter dueOnly: only those whose deadline has passed.
    @available(*, noasync)
    static func load(_ ids: [String], dueOnly: Bool = false, connection: PostgresConnection) throws -> [String: Loaded]
    {
        guard !ids.isEmpty else { return [:] }
        let now = Date()
        let rows = try connection.query(
            """
            SELECT \(Self.columns(timeline: false)) FROM sagas WHERE id = ANY($1::text[])
                AND ($2::bool IS FALSE OR deadline_at <= now()) ORDER BY id FOR UPDATE
            """,
            [PostgresArray(ids), dueOnly]
        )
        var loaded: [String: Loaded] = [:]
        for row in rows.rows {
            let (state, legacy) = try Self.state(row, now: now)
            loaded[state.sagaID] = Loaded(state: state, legacy: legacy, original: state)
        }
        return loaded
    }

    /// The saga of an order, unlocked (for the status page).
    static func find(orderID: String, client: PostgresClient) async throws -> OrderSagaState? {
        let now = Date()
        guard
            let row = try await client.query(
                "SELECT \(Self.columns(timeline: true)) FROM sagas WHERE order_id = $1", [orderID]
            ).first
        else { return nil }
        return try Self.state(row, now: now).0
    }

    private static func state(_ row: PostgresRow, now: Date) throws -> (OrderSagaState, Bool) {
        let deadline = try row.optionalString("remaining").flatMap(Double.init).map { remaining in
            OrderSagaState.Deadline(at: now + remaining, kind: .init(rawValue: try row.int("deadline_kind")) ?? .step)
        }
        if let legacy = try row.optionalString("legacy") {
            var state = try LegacySagaState.decode(legacy)
            state.deadline = state.isFinished ? nil : deadline
            return (state, true)
        }
        var reader = try PayloadReader(try row.bytes("items"))
        var state = OrderSagaState(
            sagaID: try row.string("id"), orderID: try row.string("order_id"), userID: try row.string("user_id"),
            paymentMethodID: try row.string("payment_method_id"), items: try reader.items(),
            paymentSum: try row.int("payment_sum"), paymentID: try row.optionalString("payment_id"),
            paymentExternalID: try row.optionalString("payment_external_id"), step: try row.int("current_step"),
            phase: .init(rawValue: try row.int("phase")) ?? .forward,
            status: .init(rawValue: try row.string("status")) ?? .running, attempt: try row.int("attempt"),
            compensationRetries: try row.int("compensation_retries"), deadline: deadline)
        if let log = try row.optionalString("timeline") {
            state.timeline = SagaTimelineLog.decode(log)
        } else if !state.isFinished, deadline?.kind == .step {
            // A command is out and unanswered: its entry is open. Only finishing it matters to a turn, and the
            // log's finish line needs nothing from the entry itself.
            state.timeline = [.init(step: state.step, command: "", outcome: "running", startedAt: .distantPast)]
        }
        return (state, false)
    }

    /// Inserts new sagas; an order that already has one keeps it.
    ///
    /// - Returns: the ids of the sagas inserted.
    @available(*, noasync)
    static func insert(_ states: [OrderSagaState], connection: PostgresConnection) throws -> Set<String> {
        guard !states.isEmpty else { return [] }
        let now = Date()
        let items = Packed(states.map { Self.itemBytes($0.items) })
        let rows = try connection.query(
            """
            INSERT INTO sagas (id, order_id, user_id, payment_method_id, items, current_step, status, phase, attempt,
                compensation_retries, deadline_at, deadline_kind, timeline, compensating)
            SELECT i, o, u, m, substring($5::bytea FROM io FOR il), st, s, ph, a, 0,
                now() + dl * interval '1 millisecond', dk, t, ph = 1
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $6::int[], $7::int[], $8::int[], $9::text[],
                $10::int[], $11::int[], $12::float8[], $13::int[], $14::text[]) AS x(i, o, u, m, io, il, st, s, ph, a, dl, dk, t)
            ON CONFLICT (order_id) DO NOTHING
            RETURNING id
            """,
            [
                PostgresArray(states.map(\.sagaID)), PostgresArray(states.map(\.orderID)),
                PostgresArray(states.map(\.userID)),
                PostgresArray(states.map(\.paymentMethodID)), PostgresBytes(items.bytes),
                PostgresIntArray(items.offsets),
                PostgresIntArray(items.lengths), PostgresIntArray(states.map(\.step)),
                PostgresArray(states.map(\.status.rawValue)),
                PostgresIntArray(states.map(\.phase.rawValue)), PostgresIntArray(states.map(\.attempt)),
                PostgresArray(states.map { Self.remainingMillis($0.deadline, now: now) }),
                PostgresIntArray(states.map { $0.deadline?.kind.rawValue ?? 0 }),
                PostgresArray(states.map { SagaTimelineLog.encode($0.timeline) }),
            ]
        )
        return Set(try rows.rows.map { try $0.string("id") })
    }

    /// Writes back the sagas that changed, with one statement.
    @available(*, noasync)
    static func update(_ sagas: [Loaded], connection: PostgresConnection) throws {
        let changed = sagas.filter { $0.legacy || $0.state != $0.original }
        guard !changed.isEmpty else { return }
        let now = Date()
        // Items change once (names and prices from validation): sent only then.
        let itemsChanged = changed.map { $0.legacy || $0.state.items != $0.original.items }
        let items = Packed(zip(changed, itemsChanged).map { $1 ? Self.itemBytes($0.state.items) : [] })
        try connection.query(
            """
            UPDATE sagas s SET current_step = x.st, status = x.s, phase = x.ph, attempt = x.a, compensation_retries = x.cr,
                payment_sum = x.ps, payment_id = x.pi, payment_external_id = x.pe,
                user_id = coalesce(x.u, s.user_id), payment_method_id = coalesce(x.m, s.payment_method_id),
                items = CASE WHEN x.ic THEN substring($15::bytea FROM x.io FOR x.il) ELSE s.items END,
                deadline_at = now() + x.dl * interval '1 millisecond', deadline_kind = x.dk,
                timeline = CASE WHEN x.reset THEN x.t ELSE s.timeline || x.t END,
                compensating = x.ph = 1, payload = CASE WHEN x.reset THEN NULL ELSE s.payload END, updated_at = now()
            FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::int[], $6::int[], $7::int[], $8::text[], $9::text[],
                $10::float8[], $11::int[], $12::text[], $13::bool[], $14::int[], $16::int[], $17::bool[], $18::text[], $19::text[])
                AS x(i, st, s, ph, a, cr, ps, pi, pe, dl, dk, t, reset, io, il, ic, u, m)
            WHERE s.id = x.i
            """,
            [
                PostgresArray(changed.map(\.state.sagaID)), PostgresIntArray(changed.map(\.state.step)),
                PostgresArray(changed.map(\.state.status.rawValue)),
                PostgresIntArray(changed.map(\.state.phase.rawValue)),
                PostgresIntArray(changed.map(\.state.attempt)),
                PostgresIntArray(changed.map(\.state.compensationRetries)),
                PostgresIntArray(changed.map(\.state.paymentSum)), PostgresArray(changed.map(\.state.paymentID)),
                PostgresArray(changed.map(\.state.paymentExternalID)),
                PostgresArray(changed.map { Self.remainingMillis($0.state.deadline, now: now) }),
                PostgresIntArray(changed.map { $0.state.deadline?.kind.rawValue ?? 0 }),
                PostgresArray(
                    changed.map {
                        $0.legacy
                            ? SagaTimelineLog.encode($0.state.timeline)
                            : SagaTimelineLog.append(from: $0.original.timeline, to: $0.state.timeline)
                    }),
                PostgresArray(changed.map { $0.legacy ? "t" : "f" }), PostgresIntArray(items.offsets),
                PostgresBytes(items.bytes),
                PostgresIntArray(items.lengths), PostgresArray(itemsChanged.map { $0 ? "t" : "f" }),
                PostgresArray(changed.map { $0.legacy ? $0.state.userID : nil }),
                PostgresArray(changed.map { $0.legacy ? $0.state.paymentMethodID : nil }),
            ]
        )
    }

    /// Unfinished sagas and how long until their deadlines (seconds, negative when passed): read once when the
    /// saga service starts, to fill its in-memory due queue.
    static func deadlines(client: PostgresClient) async throws -> [(String, Double)] {
        try await client.query(
            """
            SELECT id, extract(epoch FROM deadline_at - now())::float8 AS remaining FROM sagas
            WHERE status IN ('running', 'compensating') AND deadline_at IS NOT NULL
            """
        ).rows.map { (try $0.string("id"), try $0.double("remaining")) }
    }

    static func itemBytes(_ items: [Item]) -> [UInt8] {
        var writer = PayloadWriter(capacity: 16 + items.count * 32)
        writer.write(items)
        return writer.bytes
    }

    private static func remainingMillis(_ deadline: OrderSagaState.Deadline?, now: Date) -> String? {
        deadline.map { String(Int(($0.at.timeIntervalSince(now) * 1000).rounded())) }
    }
}

/// Several byte strings as one `bytea` parameter with 1-based offsets and lengths, cut apart on the server with
/// `substring(… FROM offset FOR length)`.
struct Packed {
    var bytes: [UInt8] = []
    var offsets: [Int] = []
    var lengths: [Int] = []

    init(_ parts: [[UInt8]]) {
        self.bytes.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts {
            self.offsets.append(self.bytes.count + 1)
            self.lengths.append(part.count)
            self.bytes.append(contentsOf: part)
        }
    }
}
