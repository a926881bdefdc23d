import ActorRuntime
import ActorRuntimeTestSupport
import Foundation
import ShopActors
import Synchronization
import Testing

/// Orders under load while one kind of fault is injected per run; afterwards every invariant must hold:
/// nothing stuck, stock conserved, one payment per completed order, history agrees, nothing undelivered or
/// dead. `SHOP_FAULT_CAMPAIGN=long` makes each run longer with more faults (by hand); CI runs the short one.
@Suite(.serialized) struct FaultCampaignTests {
    static let long = ProcessInfo.processInfo.environment["SHOP_FAULT_CAMPAIGN"] == "long"
    static let loadSeconds: Double = long ? 60 : 15

    /// A Postgres of the campaign's own, so restarting it disturbs no other suite.
    static let server = Task { () throws -> EmbeddedPostgres in
        var configuration = EmbeddedPostgres.Configuration()
        configuration.directory = ".data/test-postgres-faults"  // stopped by scripts/stop-test-postgres.sh
        configuration.port =
            EmbeddedPostgres.runningPort(directory: configuration.directory) ?? TestSettings.restartablePort()
        let server = EmbeddedPostgres(configuration: configuration)
        try await server.start()
        return server
    }

    /// Starts the cluster, runs the load while `inject` does its damage, settles and checks.
    func campaign(
        _ name: String, environment: [String: String] = [:], placement: [(String, [String])] = ProcessCluster.placement,
        allowDeadLetters: Bool = false,
        inject: @escaping @Sendable (ProcessCluster, EmbeddedPostgres) async throws -> Int
    ) async throws {
        let server = try await Self.server.value
        let cluster = try await ProcessCluster(
            server: server, extraConfig: "[saga]\nstep_deadline_seconds = 10\ncompensation_retry_ms = 200",
            environment: environment,
            placement: placement)
        do {
            try cluster.startAll()
            try await cluster.waitForHTTP()
            let load = OrderLoad(port: cluster.httpPort)
            let tokens = try await load.makeUsers(6)
            let deadline = ContinuousClock.now + .seconds(Self.loadSeconds)
            let injected = try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    await load.run(tokens: tokens, interval: .milliseconds(120), until: deadline)
                    return 0
                }
                group.addTask { try await inject(cluster, server) }
                return try await group.reduce(0, +)
            }
            let (violations, summary) = try await Invariants(urls: cluster.urls).settleAndCheck(
                allowDeadLetters: allowDeadLetters)
            let answered = load.accepted.withLock { $0.count }
            print(
                "[fault campaign] \(name): \(injected) faults injected; \(answered) answered 200, \(load.refused.withLock { $0 }) refused or cut; \(summary)"
            )
            #expect(answered > 20, "the load barely ran")
            #expect(injected > 0 || environment["SHOP_FAULTS"] != nil, "no fault was injected")
            #expect(violations.isEmpty, "\(name): \(violations.joined(separator: "; "))")
            if !violations.isEmpty || ProcessInfo.processInfo.environment["SHOP_CAMPAIGN_LOGS"] != nil {
                for (node, process) in cluster.nodes { print("---- \(node) log ----\n\(process.output.suffix(6000))") }
            }
        } catch {
            for (node, process) in cluster.nodes { print("---- \(node) log ----\n\(process.output.suffix(3000))") }
            await cluster.stopAll()
            throw error
        }
        await cluster.stopAll()
    }

    static func pause(_ seconds: Double) async throws {
        try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
    }

    @Test func killMinus9OfEachNodeInTurn() async throws {
        try await self.campaign("kill -9") { cluster, _ in
            let rounds = Self.long ? 3 : 1
            var killed = 0
            for _ in 0..<rounds {
                for node in ["stock", "orders", "edge"] {
                    // Every kill and restart falls inside the load.
                    try await Self.pause((Self.loadSeconds - 1.5 * Double(3 * rounds)) / Double(3 * rounds + 1))
                    let process = cluster.nodes[node]!
                    try await process.kill9()
                    #expect(
                        process.process.terminationReason == .uncaughtSignal
                            && process.process.terminationStatus == SIGKILL)
                    killed += 1
                    try await Self.pause(1.5)
                    try cluster.start(node)
                }
            }
            return killed
        }
    }

    /// The stock services run on two nodes; the one holding inventory's lease is killed under load, and the
    /// other must take over within the lease's 10 s bound and finish every order.
    @Test func killMinus9OfAnActiveNodeThatHasAStandby() async throws {
        let placement = ProcessCluster.placement + [("stock2", ProcessCluster.services(on: "stock"))]
        try await self.campaign("kill -9 of the active node, standby takes over", placement: placement) { cluster, _ in
            let rounds = Self.long ? 3 : 1
            var takeovers: [Double] = []
            for _ in 0..<rounds {
                try await Self.pause((Self.loadSeconds - 4 * Double(rounds)) / Double(rounds + 1))
                guard
                    let (active, newHolder, takeover) = try await cluster.takeover(
                        of: "inventory",
                        after: { node in
                            try await cluster.nodes[node]!.kill9()
                        })
                else { return 0 }
                takeovers.append(takeover)
                #expect(takeover <= 10, "took \(takeover) s to take over")
                try await Self.pause(1)
                try cluster.start(active)  // back as the standby
                // `node status` shows the new holder active with its failover, and the old one standing by.
                var roles: [String: String] = [:]
                var failover: Date?
                let asked = ContinuousClock.now
                while roles[active] != "standby" || roles[newHolder] != "active" || failover == nil,
                    ContinuousClock.now - asked < .seconds(30)
                {
                    let services = (try? await cluster.status().report.services) ?? []
                    let inventory = services.filter { $0.service == "inventory" }
                    roles = Dictionary(
                        inventory.map { ($0.node, $0.role ?? "-") }, uniquingKeysWith: { first, _ in first })
                    failover = inventory.first { $0.role == "active" }?.lastFailoverAt
                    if roles[active] != "standby" { try await Task.sleep(for: .milliseconds(200)) }
                }
                #expect(roles[active] == "standby" && roles[newHolder] == "active", "\(roles)")
                #expect(failover != nil)
            }
            print(
                "[fault campaign] standby takeovers after kill -9: \(takeovers.map { String(format: "%.2f s", $0) }.joined(separator: ", "))"
            )
            return takeovers.count
        }
    }

    /// The node holding inventory's lease is frozen (SIGSTOP: its sockets stay open, nothing answers, as in a
    /// silent partition) under load. The standby must take over once the lease times out, and the frozen node,
    /// when it wakes, must not write under its old epoch.
    @Test func aFrozenActiveNodeIsReplacedAndFencedWhenItWakes() async throws {
        let placement = ProcessCluster.placement + [("stock2", ProcessCluster.services(on: "stock"))]
        try await self.campaign("frozen active node (silent), standby takes over", placement: placement) { cluster, _ in
            try await Self.pause(Self.loadSeconds / 4)
            guard
                let (active, _, takeover) = try await cluster.takeover(
                    of: "inventory",
                    after: { node in
                        cluster.nodes[node]!.signal(SIGSTOP)
                    })
            else { return 0 }
            let process = cluster.nodes[active]!
            print("[fault campaign] standby took over from a frozen node after \(String(format: "%.2f", takeover)) s")
            #expect(takeover <= 10, "took \(takeover) s to take over")
            try await Self.pause(2)
            process.signal(SIGCONT)  // it wakes believing it still runs the service
            let woke = ContinuousClock.now
            while !process.output.contains("stands by: the lease was lost"), ContinuousClock.now - woke < .seconds(30) {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(
                process.output.contains("stands by: the lease was lost"),
                "the woken node never noticed it lost the lease")
            return 1
        }
    }

    /// Every `ProcessPayment` fails (a broken payment deploy), becomes a dead letter, and each saga's deadline
    /// compensates its order. Then payment is fixed and an operator replays every dead letter: each is refused
    /// (its saga has finished), so no cancelled order is charged and no stock moves.
    @Test func deadLettersReplayedAfterTheirSagasCompensated() async throws {
        try await self.campaign(
            "dead letters → compensation → replay", environment: ["SHOP_FAULTS": "fail-payments"],
            allowDeadLetters: true
        ) { cluster, _ in
            try await Self.pause(Self.loadSeconds)
            let sagas = TestPostgres.client(cluster.urls["order-saga"]!, poolSize: 1)
            defer { sagas.shutdown() }
            func count(_ sql: String) async throws -> Int { try await sagas.query(sql).first?.int("n") ?? -1 }
            // Every saga ends compensated at its deadline, 10 s after its payment step.
            let settled = ContinuousClock.now
            while try await count("SELECT count(*) AS n FROM sagas WHERE status IN ('running', 'compensating')") > 0,
                ContinuousClock.now - settled < .seconds(120)
            {
                try await Task.sleep(for: .milliseconds(200))
            }
            let dead = try await count(
                "SELECT count(*) AS n FROM outbox WHERE status = 2 AND message_type = 'ProcessPayment'")
            #expect(dead > 0, "no ProcessPayment became a dead letter")
            // Payment is fixed (restarted without the fault), then everything is replayed.
            _ = try await cluster.nodes["stock"]!.terminate()
            try cluster.start("stock", environment: [:])
            let (status, output) = try await NodeProcess.run(
                ["deadletters", "replay", "--service", "order-saga", "--all", "--config", cluster.configPath],
                timeout: .seconds(60))
            #expect(output.contains("replayed 0 dead letters"), "\(status): \(output)")
            #expect(output.contains("refused"), "\(output)")
            #expect(
                try await count("SELECT count(*) AS n FROM outbox WHERE status = 2") == dead,
                "refused replays stay dead letters")
            #expect(
                try await count("SELECT count(*) AS n FROM outbox WHERE status = 0 AND message_type = 'ProcessPayment'")
                    == 0)
            return dead
        }
    }

    @Test func aPostgresRestart() async throws {
        try await self.campaign("postgres restart") { _, server in
            let restarts = Self.long ? 4 : 1
            for _ in 0..<restarts {
                try await Self.pause(Self.loadSeconds / Double(restarts + 2))
                try await server.restart()
            }
            return restarts
        }
    }

    @Test func tcpConnectionsCutBetweenNodes() async throws {
        try await self.campaign("tcp cut") { cluster, _ in
            let deadline = ContinuousClock.now + .seconds(Self.loadSeconds - 1)
            var cut = 0
            while ContinuousClock.now < deadline {
                try await Self.pause(1)
                // Resets every connection to or from the orders and stock nodes' cluster ports (the kernel
                // sends RST both ways, as a broken network path would).
                for node in ["orders", "stock"] {
                    let port = cluster.addresses[node]!
                    let ss = Process()
                    ss.executableURL = URL(fileURLWithPath: "/usr/bin/ss")
                    ss.arguments = ["-K", "-H", "(", "dport", "=", ":\(port)", "or", "sport", "=", ":\(port)", ")"]
                    let output = Pipe()
                    ss.standardOutput = output
                    ss.standardError = FileHandle.nullDevice
                    try ss.run()
                    while ss.isRunning { try await Task.sleep(for: .milliseconds(5)) }  // no blocking wait in a task
                    let listed = output.fileHandleForReading.readDataToEndOfFile()
                    // ss lists what it killed (the listening socket matches too but cannot be killed).
                    cut +=
                        String(decoding: listed, as: UTF8.self).split(separator: "\n").filter { $0.contains("ESTAB") }
                        .count
                }
            }
            return cut
        }
    }

    @Test func duplicatedAndReorderedDeliveries() async throws {
        try await self.campaign("duplicates + reorder", environment: ["SHOP_FAULTS": "deliver-twice,reorder"]) { _, _ in
            0
        }
    }
}
