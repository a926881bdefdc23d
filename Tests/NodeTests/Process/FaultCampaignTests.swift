import ActorRuntime
import ActorRuntimeTestSupport
import Foundation
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
        configuration.port = EmbeddedPostgres.runningPort(directory: configuration.directory) ?? TestSettings.restartablePort()
        let server = EmbeddedPostgres(configuration: configuration)
        try await server.start()
        return server
    }

    /// Starts the cluster, runs the load while `inject` does its damage, settles and checks.
    func campaign(
        _ name: String, environment: [String: String] = [:],
        inject: @escaping @Sendable (ProcessCluster, EmbeddedPostgres) async throws -> Int
    ) async throws {
        let server = try await Self.server.value
        let cluster = try await ProcessCluster(
            server: server, extraConfig: "[saga]\nstep_deadline_seconds = 10\ncompensation_retry_ms = 200", environment: environment)
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
            let (violations, summary) = try await Invariants(urls: cluster.urls).settleAndCheck()
            let answered = load.accepted.withLock { $0.count }
            print("[fault campaign] \(name): \(injected) faults injected; \(answered) answered 200, \(load.refused.withLock { $0 }) refused or cut; \(summary)")
            #expect(answered > 20, "the load barely ran")
            #expect(injected > 0 || environment["SHOP_FAULTS"] != nil, "no fault was injected")
            #expect(violations.isEmpty, "\(name): \(violations.joined(separator: "; "))")
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
                    #expect(process.process.terminationReason == .uncaughtSignal && process.process.terminationStatus == SIGKILL)
                    killed += 1
                    try await Self.pause(1.5)
                    try cluster.start(node)
                }
            }
            return killed
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
                    cut += String(decoding: listed, as: UTF8.self).split(separator: "\n").filter { $0.contains("ESTAB") }.count
                }
            }
            return cut
        }
    }

    @Test func duplicatedAndReorderedDeliveries() async throws {
        try await self.campaign("duplicates + reorder", environment: ["SHOP_FAULTS": "deliver-twice,reorder"]) { _, _ in 0 }
    }
}
