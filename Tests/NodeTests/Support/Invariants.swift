import ActorRuntime
import Foundation

/// The checks a fault run must pass once it has settled, read straight from every service's database.
struct Invariants {
    static let initialStock = ["product-1": 10000, "product-2": 20000, "product-3": 30000]
    let urls: [String: String]

    func client(_ service: String) -> PostgresClient {
        var configuration = PostgresClient.Configuration(url: self.urls[service]!)
        configuration.poolSize = 1
        return PostgresClient(configuration: configuration)
    }

    func statuses(_ service: String, _ sql: String) async throws -> [String: String] {
        let db = self.client(service)
        defer { db.shutdown() }
        var out: [String: String] = [:]
        for row in try await db.query(sql).rows { out[try row.string("id")] = try row.string("status") }
        return out
    }

    /// Messages not delivered yet (due), delayed retries not due, and dead letters, over every service's outbox
    /// (delivered rows are deleted when acknowledged).
    func queues() async throws -> (due: Int, scheduled: Int, dead: Int) {
        var totals = (due: 0, scheduled: 0, dead: 0)
        for service in self.urls.keys {
            let db = self.client(service)
            defer { db.shutdown() }
            let row = try await db.query(
                """
                SELECT count(*) FILTER (WHERE status = 0 AND (not_before IS NULL OR not_before <= now())) AS due,
                       count(*) FILTER (WHERE status = 0 AND not_before > now()) AS scheduled,
                       count(*) FILTER (WHERE status = 2) AS dead
                FROM outbox
                """
            ).first!
            totals.due += try row.int("due")
            totals.scheduled += try row.int("scheduled")
            totals.dead += try row.int("dead")
        }
        return totals
    }

    /// Waits until every order the gateway accepted is final in the order service and in history and nothing
    /// is left to deliver (or `timeout`), then checks everything. The violations; empty means all hold.
    /// `allowDeadLetters`: for a run whose dead letters are expected to stay (replays refused).
    func settleAndCheck(
        timeout: Duration = .seconds(120), allowDeadLetters: Bool = false
    ) async throws -> (violations: [String], summary: String) {
        let deadline = ContinuousClock.now + timeout
        var accepted: [String: String] = [:]
        var orders: [String: String] = [:]
        var history: [String: String] = [:]
        while true {
            accepted = try await self.statuses("gateway", "SELECT id, 'accepted' AS status FROM orders")
            orders = try await self.statuses("order", "SELECT id, status FROM orders")
            history = try await self.statuses("order-history", "SELECT id, status FROM order_history")
            let queues = try await self.queues()
            let settled = accepted.keys.allSatisfy {
                ["completed", "cancelled"].contains(orders[$0] ?? "")
                    && ["order_completed", "order_cancelled"].contains(history[$0] ?? "")
            }
            if settled && queues.due == 0 { break }
            if ContinuousClock.now > deadline { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        var violations: [String] = []
        let stuck = accepted.keys.filter { !["completed", "cancelled"].contains(orders[$0] ?? "") }
        if !stuck.isEmpty {
            violations.append("\(stuck.count) accepted orders not completed or cancelled, e.g. \(stuck.prefix(3))")
        }
        let disagree = accepted.keys.filter { id in
            switch orders[id] {
            case "completed": history[id] != "order_completed"
            case "cancelled": history[id] != "order_cancelled"
            default: false
            }
        }
        if !disagree.isEmpty {
            violations.append(
                "\(disagree.count) orders where history disagrees, e.g. \(disagree.prefix(3).map { "\($0): \(orders[$0] ?? "-") vs \(history[$0] ?? "-")" })"
            )
        }

        // History's per-user counts (the `total` of a page) match its rows.
        let miscounted =
            try await self.client("order-history").query(
                """
                SELECT count(*) AS n FROM (SELECT user_id, status, count(*) AS n FROM order_history GROUP BY 1, 2) AS actual
                FULL JOIN (SELECT * FROM order_counts WHERE n <> 0) AS kept USING (user_id, status)
                WHERE actual.n IS DISTINCT FROM kept.n
                """
            ).first?.int("n") ?? 0
        if miscounted > 0 {
            violations.append("\(miscounted) (user, status) counts in order history disagree with its rows")
        }

        // Stock: initial − units of completed orders = current, never negative.
        let orderDB = self.client("order")
        let sold = try await orderDB.query(
            """
            SELECT i.product_id, sum(i.quantity)::bigint AS n FROM order_items i JOIN orders o ON o.id = i.order_id
            WHERE o.status = 'completed' GROUP BY i.product_id
            """
        ).rows.reduce(into: [String: Int]()) { $0[try $1.string("product_id")] = try $1.int("n") }
        orderDB.shutdown()
        let inventoryDB = self.client("inventory")
        let stock = try await inventoryDB.query("SELECT product_id, quantity FROM inventory").rows
            .reduce(into: [String: Int]()) { $0[try $1.string("product_id")] = try $1.int("quantity") }
        inventoryDB.shutdown()
        for (product, initial) in Self.initialStock where initial - (sold[product] ?? 0) != stock[product] {
            violations.append(
                "stock of \(product): \(initial) − \(sold[product] ?? 0) sold ≠ \(stock[product] ?? -1) in inventory")
        }
        if stock.values.contains(where: { $0 < 0 }) { violations.append("negative stock: \(stock)") }

        // Payments: one completed payment per completed order; none left completed for a cancelled one.
        let paymentDB = self.client("payment")
        var payments: [String: [String]] = [:]
        for row in try await paymentDB.query("SELECT order_id, status FROM payments").rows {
            payments[try row.string("order_id"), default: []].append(try row.string("status"))
        }
        paymentDB.shutdown()
        for (id, status) in orders {
            let completedPayments = payments[id, default: []].filter { $0 == "completed" }.count
            if status == "completed", completedPayments != 1 {
                violations.append("completed order \(id) has \(completedPayments) completed payments")
            }
            if status == "cancelled", completedPayments != 0 {
                violations.append("cancelled order \(id) kept a completed payment")
            }
        }
        let queues = try await self.queues()
        if queues.due > 0 { violations.append("\(queues.due) messages never delivered") }
        if queues.dead > 0, !allowDeadLetters { violations.append("\(queues.dead) dead letters") }

        let completed = orders.values.filter { $0 == "completed" }.count
        let cancelled = orders.values.filter { $0 == "cancelled" }.count
        let summary = """
            accepted \(accepted.count): completed \(completed), cancelled \(cancelled), stuck \(stuck.count); \
            history agrees: \(disagree.isEmpty ? "yes" : "NO"); stock \(stock.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) \
            (sold \(sold.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))); \
            outbox: \(queues.due) undelivered, \(queues.scheduled) delayed, \(queues.dead) dead letters
            """
        return (violations, summary)
    }
}
