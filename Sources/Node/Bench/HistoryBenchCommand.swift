import ActorRuntime
import ArgumentParser
import Foundation
import Logging
import NIOHTTP1
import ShopActors
import HTTPTestSupport

/// `GET /api/my-orders` and `GET /api/orders/{id}` over HTTP against a history of many orders: seeded with
/// set-based inserts straight into order history (the read model), then read page by page.
struct HistoryBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Order history reads over HTTP (deep pages, status filter, cursor, one order) at a million orders."
    )

    @Option(help: "Orders seeded into order history.") var orders = 1_000_000
    @Option(help: "Users they belong to.") var users = 10_000
    @Option(help: "Orders of the measured user (enough for page 10,000 at 10 a page).") var heavyOrders = 120_000
    @Option(help: "Measured requests per case (after 20 to warm up).") var requests = 200
    @Option(help: "Port of the benchmark's embedded Postgres.") var postgresPort = 54393
    @Option(help: "Write a plot of latency against page number (SVG) here.") var plot: String?
    @Flag(help: "Print one JSON object at the end.") var json = false

    func validate() throws {
        guard (1000...20_000_000).contains(self.orders) else {
            throw ValidationError("--orders must be 1,000...20,000,000")
        }
        guard (2...1_000_000).contains(self.users) else { throw ValidationError("--users must be 2...1,000,000") }
        guard (100...self.orders).contains(self.heavyOrders) else {
            throw ValidationError("--heavy-orders must be 100...--orders")
        }
        guard (1...100_000).contains(self.requests) else { throw ValidationError("--requests must be 1...100,000") }
    }

    struct Case {
        var name: String
        var page: Int?
        var filtered: Bool
        var p50: Double
        var p99: Double
    }

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        self.progress(
            "starting the cluster: embedded Postgres under .data/bench-postgres, a node process, fresh databases")
        let cluster = try await BenchCluster.start(
            postgresPort: self.postgresPort, options: ServiceOptions(), extraConfig: "", logger: logger)
        do {
            try await self.measure(cluster)
        } catch {
            try? await cluster.stop()
            throw error
        }
        try await cluster.stop()
    }

    private func measure(_ cluster: BenchCluster) async throws {
        let http = try await HTTPTestClient(host: "127.0.0.1", port: cluster.httpPort)
        defer { Task { await http.close() } }
        let body =
            #"{"name":"bench","email":"history-\#(UInt32.random(in: 0...UInt32.max))@example.com","password":"bench-password"}"#
        let registered = try await http.request(.POST, "/auth/register", json: body)
        guard registered.status == 200, let userID = try registered.json()["user_id"] as? String else {
            throw BenchError("register failed: \(registered.status) \(registered.text)")
        }
        let login = try await http.request(.POST, "/auth/login", json: body)
        guard let token = try login.json()["session_id"] as? String else {
            throw BenchError("login failed: \(login.text)")
        }
        let auth = ("Authorization", "Bearer \(token)")

        let seconds = try await self.seed(cluster, heavyUser: userID)
        self.progress(String(format: "seeded %d orders in %.1f s", self.orders, seconds))

        var cases: [Case] = []
        let deepest = self.heavyOrders / 10
        let pages = [1, 10, 100, 1_000, 10_000].filter { $0 <= deepest }
        for filtered in [false, true] {
            for page in pages {
                let path = "/api/my-orders?page=\(page)&limit=10" + (filtered ? "&status=order_completed" : "")
                let (p50, p99) = try await self.time(http) { _ in (path, [auth]) }
                cases.append(
                    Case(
                        name: "page \(page)" + (filtered ? ", status" : ""), page: page, filtered: filtered, p50: p50,
                        p99: p99))
            }
        }
        // A cursor walk from the first page, and one from the deepest page measured.
        for start in [1, pages.last ?? 1] {
            let first = try await http.request(.GET, "/api/my-orders?page=\(start)&limit=10", headers: [auth]).json()
            var cursor = first["next_cursor"] as? String
            var sawNoCursor = false
            let (p50, p99) = try await self.time(http) { response in
                if let response {
                    cursor = try response.json()["next_cursor"] as? String
                    if cursor == nil { sawNoCursor = true }
                }
                return ("/api/my-orders?limit=10" + (cursor.map { "&cursor=\($0)" } ?? ""), [auth])
            }
            if sawNoCursor { throw BenchError("the cursor walk from page \(start) ran off the end") }
            cases.append(Case(name: "cursor from page \(start)", page: nil, filtered: false, p50: p50, p99: p99))
        }
        let ids = try await self.gatewayOrders(cluster, user: userID)
        var next = 0
        let (p50, p99) = try await self.time(http) { _ in
            next += 1
            return ("/api/orders/\(ids[next % ids.count])", [auth])
        }
        cases.append(Case(name: "one order (GET /api/orders/{id})", page: nil, filtered: false, p50: p50, p99: p99))
        self.report(cases)
        if let plot = self.plot {
            try Self.svg(cases).write(toFile: plot, atomically: true, encoding: .utf8)
            self.progress("wrote \(plot)")
        }
    }

    /// Times `requests` GETs (after 20 unrecorded), each path given by `next` from the previous response.
    private func time(
        _ http: HTTPTestClient, _ next: (HTTPTestClient.Response?) throws -> (String, [(String, String)])
    ) async throws -> (p50: Double, p99: Double) {
        var recorder = LatencyRecorder()
        var previous: HTTPTestClient.Response?
        for index in 0..<(20 + self.requests) {
            let (path, headers) = try next(previous)
            let start = ContinuousClock.now
            let response = try await http.request(.GET, path, headers: headers)
            let elapsed = ContinuousClock.now - start
            guard response.status == 200 else {
                throw BenchError("\(path): \(response.status) \(response.text.prefix(200))")
            }
            if index >= 20 {
                recorder.record(
                    nanoseconds: UInt64(elapsed.components.seconds) * 1_000_000_000
                        + UInt64(elapsed.components.attoseconds / 1_000_000_000))
            }
            previous = response
        }
        return (recorder.quantile(0.5) / 1000, recorder.quantile(0.99) / 1000)
    }

    /// One set-based insert per 100,000 orders: the measured user's orders every `stride`-th, the rest spread
    /// over the other users; a tenth cancelled. Then VACUUM ANALYZE, as autovacuum would (index-only scans
    /// need the visibility map). Returns the seconds it took.
    private func seed(_ cluster: BenchCluster, heavyUser: String) async throws -> Double {
        let history = PostgresClient(configuration: .init(url: cluster.historyURL).with(poolSize: 1))
        defer { history.shutdown() }
        let start = ContinuousClock.now
        // The orders bench's notify-on-final trigger would fire a million times.
        try await history.query("ALTER TABLE order_history DISABLE TRIGGER USER")
        let stride = max(1, self.orders / self.heavyOrders)
        for low in Swift.stride(from: 1, through: self.orders, by: 100_000) {
            let high = min(self.orders, low + 99_999)
            try await history.query(
                """
                INSERT INTO order_history (id, user_id, order_items, payment_id, payment_method_id, payment_type, payment_gateway,
                    payment_sum, payment_external_id, payment_status, status, created_at, updated_at)
                SELECT md5('o' || g)::uuid::text,
                    CASE WHEN g % $3 = 0 THEN $4 ELSE 'seed-user-' || (g % $5) END,
                    '[{"product_id":"product-1","quantity":1,"name":"product-1","price":100}]'::jsonb,
                    md5('p' || g)::uuid::text, 'method-1', 'card', 'sber', 100, md5('e' || g)::uuid::text,
                    CASE WHEN g % 10 = 3 THEN 'refunded' ELSE 'completed' END,
                    CASE WHEN g % 10 = 3 THEN 'order_cancelled' ELSE 'order_completed' END,
                    timestamp '2026-01-01' + g * interval '1 second', timestamp '2026-01-01' + g * interval '1 second'
                FROM generate_series($1::int, $2::int) g
                """,
                [low, high, stride, heavyUser, self.users])
            self.progress("seeded \(high) orders")
        }
        // The per-user counts the handler keeps in the same turns.
        try await history.query(
            """
            INSERT INTO order_counts (user_id, status, n) SELECT user_id, status, count(*) FROM order_history GROUP BY 1, 2
            ON CONFLICT (user_id, status) DO UPDATE SET n = EXCLUDED.n
            """)
        try await history.query("VACUUM ANALYZE order_history")
        return (ContinuousClock.now - start).seconds
    }

    /// The gateway's record of 200 of the user's orders (its owner check for `GET /api/orders/{id}`).
    private func gatewayOrders(_ cluster: BenchCluster, user: String) async throws -> [String] {
        let history = PostgresClient(configuration: .init(url: cluster.historyURL).with(poolSize: 1))
        defer { history.shutdown() }
        let ids = try await history.query(
            "SELECT id FROM order_history WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 200", [user]
        ).rows.map { try $0.string("id") }
        let gateway = PostgresClient(configuration: .init(url: cluster.urls["gateway"]!).with(poolSize: 1))
        defer { gateway.shutdown() }
        try await gateway.query(
            """
            INSERT INTO orders (id, user_id, request_hash, request, created_at)
            SELECT i, $2, '', '{"payment_method_id":"method-1","order_items":[{"product_id":"product-1","quantity":1}]}', now()
            FROM unnest($1::text[]) AS i
            """,
            [PostgresArray(ids), user])
        return ids
    }

    private func report(_ cases: [Case]) {
        if self.json {
            let entries = cases.map { item in
                "\"\(item.name)\": {\"p50_ms\": \(String(format: "%.2f", item.p50)), \"p99_ms\": \(String(format: "%.2f", item.p99))}"
            }
            print(
                "{\"orders\": \(self.orders), \"users\": \(self.users), \"user_orders\": \(self.heavyOrders), \"requests\": \(self.requests), "
                    + entries.joined(separator: ", ") + "}")
            return
        }
        print("case".padding(toLength: 36, withPad: " ", startingAt: 0) + "p50 ms   p99 ms")
        for item in cases {
            print(
                item.name.padding(toLength: 36, withPad: " ", startingAt: 0)
                    + String(format: "%-9.2f%.2f", item.p50, item.p99))
        }
    }

    /// p50 and p99 against page number (log scale), with and without the status filter.
    static func svg(_ cases: [Case]) -> String {
        let width = 700.0, height = 380.0, left = 60.0, bottom = 40.0, top = 30.0, right = 150.0
        let paged = cases.filter { $0.page != nil }
        let maxPage = Double(paged.compactMap(\.page).max() ?? 10)
        let maxY = max(1, (cases.map(\.p99).max() ?? 1) * 1.1)
        func x(_ page: Int) -> Double { left + log10(Double(page)) / max(1, log10(maxPage)) * (width - left - right) }
        func y(_ value: Double) -> Double { height - bottom - value / maxY * (height - top - bottom) }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="18" font-size="14">GET /api/my-orders latency (ms) by page number, limit 10</text>
            <line x1="\(left)" y1="\(height - bottom)" x2="\(width - right)" y2="\(height - bottom)" stroke="black"/>
            <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(height - bottom)" stroke="black"/>
            <text x="\(left + 150)" y="\(height - 8)">page (log scale)</text>

            """
        for tick in 0...4 {
            let value = maxY * Double(tick) / 4
            svg += "<text x=\"4\" y=\"\(y(value) + 4)\">\(String(format: "%.1f", value))</text>\n"
        }
        for page in Set(paged.compactMap(\.page)).sorted() {
            svg += "<text x=\"\(x(page) - 10)\" y=\"\(height - bottom + 16)\">\(page)</text>\n"
        }
        let series: [(String, Bool, KeyPath<Case, Double>, String)] = [
            ("p50", false, \.p50, "#2a6"), ("p99", false, \.p99, "#c33"), ("p50, status", true, \.p50, "#26a"),
            ("p99, status", true, \.p99, "#a6c"),
        ]
        for (index, (label, filtered, value, color)) in series.enumerated() {
            let points = paged.filter { $0.filtered == filtered }.map { "\(x($0.page!)),\(y($0[keyPath: value]))" }
            svg +=
                "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
            svg +=
                "<text x=\"\(width - right + 10)\" y=\"\(top + 16 * Double(index + 1))\" fill=\"\(color)\">\(label)</text>\n"
        }
        return svg + "</svg>\n"
    }

    private func progress(_ text: String) {
        FileHandle.standardError.write(Data("[bench] \(text)\n".utf8))
    }
}
