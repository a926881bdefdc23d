import ActorRuntime
import ArgumentParser
import Foundation
import Logging
import NIOCore
import Synchronization

struct MailboxBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailbox",
        abstract: "Messages from one service to another through outbox, relay and inbox turn, against plain commits."
    )

    @Option(help: "Seconds to measure each side.") var seconds: Double = 5
    @Option(help: "Sending tasks, and connections of each side's pool and of the baseline.") var connections: Int = 8
    @Option(help: "Messages each sending transaction queues (a turn that emits several messages).")
    var perCommit: Int = 10
    @Option(help: "Offered load in messages/s across all senders (default: as fast as possible).") var rate: Double?
    @Option(help: "Port of the benchmark's embedded Postgres.") var port: Int = 54391
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    func validate() throws {
        guard self.seconds > 0, self.seconds <= 3600 else { throw ValidationError("--seconds must be in (0, 3600]") }
        guard (1...64).contains(self.connections) else { throw ValidationError("--connections must be 1...64") }
        guard (1...1000).contains(self.perCommit) else { throw ValidationError("--per-commit must be 1...1000") }
        if let rate = self.rate, rate <= 0 { throw ValidationError("--rate must be positive") }
    }

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        var pgConfiguration = EmbeddedPostgres.Configuration()
        pgConfiguration.directory = ".data/bench-postgres"
        pgConfiguration.port = self.port
        let server = EmbeddedPostgres(configuration: pgConfiguration, logger: logger)
        let startedServer = try await server.start()
        do {
            try await self.measure(server: server, logger: logger)
        } catch {
            if startedServer { try? await server.stop() }
            throw error
        }
        if startedServer { try await server.stop() }
    }

    private func measure(server: EmbeddedPostgres, logger: Logger) async throws {
        for name in ["bench_src", "bench_dst", "bench_base"] { try await server.dropDatabase(name) }
        let urls = (
            src: try await server.ensureDatabase("bench_src"), dst: try await server.ensureDatabase("bench_dst"),
            base: try await server.ensureDatabase("bench_base")
        )
        func client(_ url: String) -> PostgresClient {
            var configuration = PostgresClient.Configuration(url: url)
            configuration.poolSize = self.connections
            return PostgresClient(configuration: configuration, logger: logger)
        }
        let settings = try await client(urls.base).query(
            "SELECT current_setting('fsync') AS f, current_setting('synchronous_commit') AS s"
        ).first

        self.progress(
            "baseline: single-row INSERT transactions on \(self.connections) connections for \(self.seconds) s")
        let baselineClient = client(urls.base)
        let baseline = try await CommitBaseline.insertsPerSecond(
            baselineClient, connections: self.connections, seconds: self.seconds)
        baselineClient.shutdown()
        self.progress("mailbox: src -> dst, \(self.perCommit) messages per sending commit")
        let result = try await self.measureMailbox(src: client(urls.src), dst: client(urls.dst), logger: logger)

        let report: [(String, String)] = [
            ("messages_per_s", String(Int(result.perSecond.rounded()))),
            ("p50_ms", String(format: "%.2f", result.latency.quantile(0.5) / 1000)),
            ("p99_ms", String(format: "%.2f", result.latency.quantile(0.99) / 1000)),
            ("baseline_commits_per_s", String(Int(baseline.rounded()))),
            ("ratio", String(format: "%.2f", result.perSecond / baseline)),
            ("receiver_commits_per_s", String(Int(result.receiverCommitsPerSecond.rounded()))),
            ("connections", String(self.connections)),
            ("per_commit", String(self.perCommit)),
            ("offered_rate", self.rate.map { String(Int($0)) } ?? "max"),
            ("fsync", try settings?.string("f") ?? "?"),
            ("synchronous_commit", try settings?.string("s") ?? "?"),
        ]
        if self.json {
            print(
                "{"
                    + report.map { "\"\($0.0)\": \(Double($0.1) != nil ? $0.1 : "\"\($0.1)\"")" }.joined(
                        separator: ", ") + "}")
        } else {
            for (key, value) in report { print(key.padding(toLength: 24, withPad: " ", startingAt: 0), value) }
        }
    }

    private func progress(_ message: String) {
        FileHandle.standardError.write(Data("[bench] \(message)\n".utf8))
    }

    struct MailboxResult {
        var perSecond: Double
        var latency: LatencyRecorder
        var receiverCommitsPerSecond: Double
    }

    private func measureMailbox(src: PostgresClient, dst: PostgresClient, logger: Logger) async throws -> MailboxResult
    {
        func settings(_ name: String) -> ClusterSystem.Settings {
            var settings = ClusterSystem.Settings(node: name, secret: "bench-secret-0123456789")
            settings.logger = logger
            return settings
        }
        let a = ClusterSystem(settings: settings("a"))
        let b = ClusterSystem(settings: settings("b"))
        try await a.start()
        try await b.start()
        a.addPeer(b.boundAddress!)
        b.addPeer(a.boundAddress!)
        try await a.waitForMembers(["b"])
        let directory: ServiceDirectory = ["src": "a", "dst": "b"]
        let sink = BenchSink()
        let srcMailbox = Mailbox(
            configuration: .init(service: "src", directory: directory), client: src, system: a, handler: sink,
            logger: logger)
        let dstMailbox = Mailbox(
            configuration: .init(service: "dst", directory: directory), client: dst, system: b, handler: sink,
            logger: logger)
        try await MailboxSchema.migrate(service: "src", client: src, logger: logger)
        try await MailboxSchema.migrate(service: "dst", client: dst, logger: logger)
        let dstCommitsBefore = try await Self.commits(dst)

        let runs = [Task { try await srcMailbox.run() }, Task { try await dstMailbox.run() }]
        let perCommit = self.perCommit
        let interval: Duration? = self.rate.map { .nanoseconds(Int64(1e9 * Double(perCommit * self.connections) / $0)) }
        let start = ContinuousClock.now
        let deadline = start + .nanoseconds(Int64(self.seconds * 1e9))
        sink.window.withLock { $0 = (start, deadline) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<self.connections {
                group.addTask {
                    var next = ContinuousClock.now
                    while ContinuousClock.now < deadline {
                        try await srcMailbox.transaction { turn in
                            let sentAt = NIODeadline.now().uptimeNanoseconds
                            for _ in 0..<perCommit {
                                try turn.send(OutgoingMessage(type: "Tick", payload: "{\"sent\":\(sentAt)}"), to: "dst")
                            }
                        }
                        if let interval {
                            next = next + interval
                            try await Task.sleep(until: next)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        // Let the queue drain (only messages received inside the window count towards the rate).
        let drainDeadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < drainDeadline,
            try await src.query("SELECT count(*) AS n FROM outbox WHERE status = 0").first?.int("n") ?? 0 > 0
        {
            try await Task.sleep(for: .milliseconds(50))
        }
        let drained = ContinuousClock.now
        let dstCommits = try await Self.commits(dst) - dstCommitsBefore
        let delivered = try await dst.query("SELECT count(*) AS n FROM inbox").first?.int("n") ?? 0
        for run in runs { run.cancel() }
        for run in runs { _ = await run.result }
        await a.shutdown()
        await b.shutdown()
        src.shutdown()
        dst.shutdown()
        let (_, latency) = sink.results()
        // Sustained throughput: everything sent in the window, over the time until the last of it was handled.
        let elapsed = (drained - start).seconds
        return MailboxResult(
            perSecond: Double(delivered) / elapsed,
            latency: latency,
            receiverCommitsPerSecond: Double(dstCommits) / elapsed
        )
    }

    private static func commits(_ client: PostgresClient) async throws -> Int {
        try await client.query("SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()")
            .first?.int("n") ?? 0
    }

}

/// The benchmark's receiving service: records the latency from the sending turn to this turn.
final class BenchSink: MailboxHandler {
    let window = Mutex<(ContinuousClock.Instant, ContinuousClock.Instant)?>(nil)
    private let recorded = Mutex<(count: Int, latency: LatencyRecorder)>((0, LatencyRecorder()))

    func handle(_ message: MailboxMessage, in turn: inout Turn) throws {
        let now = ContinuousClock.now
        guard let (start, end) = self.window.withLock({ $0 }), now >= start, now <= end else { return }
        let text = message.payloadText
        let digits = text.drop { !$0.isNumber }.prefix { $0.isNumber }
        guard let sent = UInt64(digits) else { return }
        let elapsed = NIODeadline.now().uptimeNanoseconds &- sent
        self.recorded.withLock {
            $0.count += 1
            $0.latency.record(nanoseconds: elapsed)
        }
    }

    func results() -> (Int, LatencyRecorder) { self.recorded.withLock { ($0.count, $0.latency) } }
}
