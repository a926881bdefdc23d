import ActorRuntime
import ArgumentParser
import Foundation
import Logging
import NIOHTTP1
import ShopActors
import Synchronization
import HTTPTestSupport

struct OrdersBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orders",
        abstract:
            "Orders over HTTP, from POST to a terminal status in order history, against the server's commit ceiling."
    )

    @Option(help: "Seconds of load.") var seconds: Double = 20
    @Option(help: "Clients posting orders, each its own user and keep-alive connection.") var concurrency = 64
    @Option(help: "Offered load in orders/s across all clients (default: each client as fast as it can).") var rate:
        Double?
    @Option(help: "A running gateway (http://host:port) instead of a cluster started here.") var target: String?
    @Option(help: "Port of the benchmark's embedded Postgres (without --target).") var postgresPort = 54392
    @Option(help: "Connections of the commit baseline (default: what the cluster's services hold).")
    var baselineConnections: Int?
    @Option(help: "Write a latency plot (SVG) here.") var plot: String?
    @Option(help: "Messages per delivery call in the cluster started here (cluster.conf mailbox.batch_size).")
    var batchSize = ServiceOptions().mailbox.batchSize
    @Flag(help: "Print one JSON object at the end.") var json = false

    func validate() throws {
        guard self.seconds > 0, self.seconds <= 3600 else { throw ValidationError("--seconds must be in (0, 3600]") }
        guard (1...2000).contains(self.concurrency) else { throw ValidationError("--concurrency must be 1...2000") }
        if let rate = self.rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        if let target = self.target, Self.hostPort(target) == nil {
            throw ValidationError("--target must be http://host:port")
        }
    }

    static func hostPort(_ url: String) -> (String, Int)? {
        guard let components = URLComponents(string: url), components.scheme == "http", let host = components.host
        else { return nil }
        return (host, components.port ?? 80)
    }

    @Option(help: "Print this many of the statements that took the most server time.") var statements = 0
    @Flag(help: "Skip the 5 s commit baseline before the load.") var skipBaseline = false
    @Option(
        help: "Extra lines appended to the generated cluster.conf (e.g. \"[gateway]\\nmax_orders_in_flight = 4000\").")
    var extraConfig: String = ""

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        var cluster: BenchCluster?
        var baseline: (commitsPerSecond: Double, connections: Int)?
        let host: String
        let port: Int
        if let target = self.target, let (targetHost, targetPort) = Self.hostPort(target) {
            (host, port) = (targetHost, targetPort)
        } else {
            self.progress(
                "starting the cluster: embedded Postgres under .data/bench-postgres, a node process, fresh databases")
            var options = ServiceOptions()
            options.mailbox.batchSize = self.batchSize
            let started = try await BenchCluster.start(
                postgresPort: self.postgresPort, options: options,
                extraConfig: self.extraConfig.replacingOccurrences(of: "\\n", with: "\n"), logger: logger)
            cluster = started
            (host, port) = ("127.0.0.1", started.httpPort)
            if !self.skipBaseline {
                // Every service's pool plus its relay pool.
                let connections = self.baselineConnections ?? ShopService.names.count * (4 + 2)
                self.progress("baseline: single-row INSERT transactions on \(connections) connections for 5 s")
                let measured = try await CommitBaseline.measure(
                    server: started.server, connections: connections, seconds: 5, logger: logger)
                baseline = (measured.commitsPerSecond, connections)
            }
        }
        do {
            try await self.load(host: host, port: port, cluster: cluster, baseline: baseline)
        } catch {
            try? await cluster?.stop()
            throw error
        }
        try await cluster?.stop()
    }

    private func load(
        host: String, port: Int, cluster: BenchCluster?, baseline: (commitsPerSecond: Double, connections: Int)?
    ) async throws {
        let setup = OrdersLoad(host: host, port: port)
        self.progress("registering and logging in \(self.concurrency) users")
        let users = try await setup.makeUsers(self.concurrency)
        let load = OrdersLoad(host: host, port: port)
        var listener: PostgresListener?
        var countersBefore: ServerCounters?
        if let cluster {
            listener = try await PostgresListener(url: cluster.historyURL, channel: BenchCluster.finalChannel) {
                payload in
                let parts = payload.split(separator: " ", maxSplits: 1).map(String.init)
                if parts.count == 2 { load.finish([(parts[0], parts[1])]) }
            }
            try await ServerCounters.reset(cluster.admin)
            countersBefore = try await ServerCounters.read(cluster.admin, databases: BenchCluster.databaseNames)
        }
        defer { listener?.stop() }
        let cpuBefore = (cluster?.cpu(), ProcessCPU.ownSeconds())
        load.begin()
        let interval: Duration? = self.rate.map { .nanoseconds(Int64(1e9 * Double(self.concurrency) / $0)) }
        let deadline = ContinuousClock.now + .nanoseconds(Int64(self.seconds * 1e9))
        self.progress(
            "posting orders for \(self.seconds) s at " + (self.rate.map { "\(Int($0))/s" } ?? "full speed")
                + " from \(self.concurrency) clients")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await withThrowingTaskGroup(of: Void.self) { clients in
                    for (index, user) in users.enumerated() {
                        clients.addTask {
                            try await load.client(
                                user, index: index, of: users.count, until: deadline, interval: interval)
                        }
                    }
                    try await clients.waitForAll()
                }
                load.postingDone.store(true, ordering: .releasing)
            }
            if cluster == nil { group.addTask { try await self.pollOverHTTP(load, until: deadline + .seconds(30)) } }
            group.addTask { await self.report(load, until: deadline + .seconds(30)) }
            try await group.waitForAll()
        }
        if let cluster {
            // A last look for any final status whose notification was missed.
            load.finish(try await cluster.finished(load.pendingIDs))
        }
        let cpuAfter = (cluster?.cpu(), ProcessCPU.ownSeconds())
        var countersAfter: ServerCounters?
        if let cluster {
            countersAfter = try await ServerCounters.read(cluster.admin, databases: BenchCluster.databaseNames)
        }
        let results = load.results
        let latencies = results.map(\.latencyMs).sorted()
        func quantile(_ q: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))]
        }
        let completed = results.filter(\.completed).count
        let window = max(self.seconds, results.map { $0.postedAt + $0.latencyMs / 1000 }.max() ?? self.seconds)
        // Accepted but not final when the drain ended (still queued, not lost), plus failed POSTs.
        let unfinished = load.inFlight
        let failed = unfinished + load.httpFailures.count
        let orders = Double(max(results.count, 1))
        var report: [(String, String)] = [
            ("orders_per_s", String(format: "%.1f", Double(completed) / window)),
            ("completed", "\(completed)"),
            ("cancelled", "\(results.count - completed)"),
            ("failed", "\(failed)"),
            ("unfinished", "\(unfinished)"),
            ("shed", "\(load.shedCount.load(ordering: .relaxed))"),
            ("p50_ms", String(format: "%.1f", quantile(0.5))),
            ("p99_ms", String(format: "%.1f", quantile(0.99))),
            ("max_ms", String(format: "%.1f", latencies.last ?? 0)),
            ("concurrency", "\(self.concurrency)"),
            ("offered_rate", self.rate.map { String(Int($0)) } ?? "max"),
            ("seconds", String(format: "%.0f", self.seconds)),
        ]
        if case let (nodeBefore?, loadBefore) = cpuBefore, case let (nodeAfter?, loadAfter) = cpuAfter {
            let node = (nodeAfter.node - nodeBefore.node) * 1000 / orders
            let postgres = (nodeAfter.postgres - nodeBefore.postgres) * 1000 / orders
            let generator = (loadAfter - loadBefore) * 1000 / orders
            report += [
                ("cpu_ms_per_order", String(format: "%.2f", node + postgres + generator)),
                ("cpu_ms_per_order_node", String(format: "%.2f", node)),
                ("cpu_ms_per_order_postgres", String(format: "%.2f", postgres)),
                ("cpu_ms_per_order_load", String(format: "%.2f", generator)),
            ]
        }
        if let before = countersBefore, let after = countersAfter {
            let delta = after - before
            report += [
                ("statements_per_order", String(format: "%.1f", Double(delta.statements) / orders)),
                ("commits_per_order", String(format: "%.1f", Double(delta.commits) / orders)),
                ("rows_written_per_order", String(format: "%.1f", Double(delta.rowsWritten) / orders)),
                ("wal_bytes_per_order", String(format: "%.0f", Double(delta.walBytes) / orders)),
            ]
        }
        if let baseline {
            report.append(("baseline_commits_per_s", String(Int(baseline.commitsPerSecond.rounded()))))
            report.append(("baseline_connections", "\(baseline.connections)"))
        }
        if let cluster {
            let settings = try await cluster.admin.query(
                "SELECT current_setting('fsync') AS f, current_setting('synchronous_commit') AS s"
            ).first
            report.append(("fsync", try settings?.string("f") ?? "?"))
            report.append(("synchronous_commit", try settings?.string("s") ?? "?"))
            if self.statements > 0 {
                self.progress("statements by server time (all databases of the run):")
                for statement in try await ServerCounters.top(
                    cluster.admin, databases: BenchCluster.databaseNames, limit: self.statements)
                {
                    let query = statement.query.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                    self.progress(
                        String(
                            format: "%9.0f ms %8d calls %6.1f/order %9d rows  %@: %@", statement.totalMs,
                            statement.calls,
                            Double(statement.calls) / orders, statement.rows, statement.database,
                            String(query.prefix(160))))
                }
            }
        }
        if let last = load.httpFailures.last { self.progress("last failure: \(last)") }
        if let plot = self.plot {
            let title =
                "bench orders: \(completed) completed, p50 \(String(format: "%.0f", quantile(0.5))) ms, p99 \(String(format: "%.0f", quantile(0.99))) ms, offered \(self.rate.map { "\(Int($0))/s" } ?? "max"), \(self.concurrency) clients"
            try LatencyPlot.svg(results, p50: quantile(0.5), p99: quantile(0.99), title: title)
                .write(toFile: plot, atomically: true, encoding: .utf8)
            self.progress("wrote \(plot)")
        }
        if self.json {
            print(
                "{"
                    + report.map { "\"\($0.0)\": \(Double($0.1) != nil ? $0.1 : "\"\($0.1)\"")" }.joined(
                        separator: ", ") + "}")
        } else {
            for (key, value) in report { print(key.padding(toLength: 28, withPad: " ", startingAt: 0), value) }
        }
    }

    /// Against a running gateway (`--target`): final statuses through `GET /api/orders/{id}`.
    private func pollOverHTTP(_ load: OrdersLoad, until drainDeadline: ContinuousClock.Instant) async throws {
        let postingEnds = drainDeadline - .seconds(30)
        let http = try await HTTPTestClient(host: load.host, port: load.port)
        defer { Task { await http.close() } }
        while ContinuousClock.now < drainDeadline {
            if ContinuousClock.now > postingEnds, load.postingDone.load(ordering: .acquiring), load.inFlight == 0 {
                return
            }
            for (id, entry) in load.pendingEntries {
                let response = try await http.request(.GET, "/api/orders/\(id)", headers: [entry.auth])
                let status = (try? response.json()["order"] as? [String: Any])?["status"] as? String
                if let status, status == "order_completed" || status == "order_cancelled" {
                    load.finish([(id, status)])
                }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    private func report(_ load: OrdersLoad, until deadline: ContinuousClock.Instant) async {
        var last = 0
        while ContinuousClock.now < deadline {
            try? await Task.sleep(for: .seconds(1))
            let done = load.results.count
            self.progress(
                "finished \(done) (+\(done - last)/s), in flight \(load.inFlight), shed \(load.shedCount.load(ordering: .relaxed)), failed posts \(load.httpFailures.count)"
            )
            last = done
            if ContinuousClock.now > deadline - .seconds(30), load.postingDone.load(ordering: .acquiring),
                load.inFlight == 0
            {
                return
            }
        }
    }

    private func progress(_ message: String) {
        FileHandle.standardError.write(Data("[bench] \(message)\n".utf8))
    }
}
