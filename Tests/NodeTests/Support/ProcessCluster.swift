import ActorRuntime
import ActorRuntimeTestSupport
import HTTPTestSupport
import Foundation
import NIOHTTP1
import ShopActors
import Testing

/// Three `node` processes (edge, orders, stock) from a test copy of cluster.conf: free ports, and one fresh
/// database per service on the test Postgres.
final class ProcessCluster: @unchecked Sendable {
    // Only touched from the test's task.
    let configPath: String
    let httpPort: Int
    /// Where the gateway listens (its node's address).
    let httpHost: String
    /// The namespaces the nodes run in, if any.
    let network: NetworkLab?
    var nodes: [String: NodeProcess] = [:]
    var addresses: [String: Int] = [:]
    let environment: [String: String]
    /// Each service's database URL.
    var urls: [String: String] = [:]
    /// Which services each node runs (a service on two nodes: one active, one standby).
    let placement: [(String, [String])]

    /// The shipped layout, from the service catalogue.
    static let placement = ShopService.defaultPlacement.map { ($0.node, $0.services) }

    /// The services the shipped layout puts on `node` (to list them on a standby node too).
    static func services(on node: String) -> [String] {
        ShopService.all.filter { $0.defaultNode == node }.map(\.name)
    }

    /// - Parameters:
    ///   - server: where the services' databases go (default: the shared test Postgres).
    ///   - extraConfig: more cluster.conf (e.g. `[saga]`).
    ///   - environment: for the node processes (e.g. `SHOP_FAULTS`).
    ///   - placement: nodes and their services (default: edge, orders, stock).
    ///   - network: run each node in its namespace of `network`, at its address there; the nodes then reach
    ///     Postgres at `postgres` (a proxy on the bridge), and the secret is a long one (not loopback).
    init(
        server: EmbeddedPostgres? = nil, extraConfig: String = "", environment: [String: String] = [:],
        placement: [(String, [String])] = ProcessCluster.placement, network: NetworkLab? = nil,
        postgres: (host: String, port: Int)? = nil
    ) async throws {
        self.environment = environment
        self.placement = placement
        self.network = network
        self.httpPort = TestSettings.restartablePort()
        self.httpHost = network?.addresses["edge"] ?? "127.0.0.1"
        let secret = network == nil ? "process-test-secret-0123" : "process-test-secret-beyond-loopback-0123456789"
        var text = """
            cluster = "proc-test"
            secret = "\(secret)"

            """
        for (name, services) in placement {
            let port = TestSettings.restartablePort()
            let host = network?.addresses[name] ?? "127.0.0.1"
            self.addresses[name] = port
            text += """
                [nodes.\(name)]
                address = "\(host):\(port)"
                services = [\(services.map { "\"\($0)\"" }.joined(separator: ", "))]
                \(name == "edge" ? "http = \"\(host):\(self.httpPort)\"" : "")

                """
        }
        text +=
            (extraConfig.isEmpty ? "[saga]\nstep_deadline_seconds = 30\n" : extraConfig + "\n")
            + "[payment]\nshared_demo_methods = true\n" + "[postgres.urls]\n"
        for service in Set(placement.flatMap(\.1)).sorted() {
            let url: String
            if let server {
                let name = "f_\(EmbeddedPostgres.databaseName(for: service))"
                try await server.dropDatabase(name)
                url = try await server.ensureDatabase(name)
            } else {
                url = try await TestPostgres.freshDatabase(EmbeddedPostgres.databaseName(for: service))
            }
            self.urls[service] = url
            var reached = url
            if let postgres, var components = URLComponents(string: url) {
                components.host = postgres.host
                components.port = postgres.port
                reached = components.string ?? url
            }
            text += "\"\(service)\" = \"\(reached)\"\n"
        }
        self.configPath = NSTemporaryDirectory() + "cluster-\(UUID().uuidString.prefix(8)).conf"
        try text.write(toFile: self.configPath, atomically: true, encoding: .utf8)
    }

    /// Starts `node`, with the cluster's environment unless `environment` replaces it (e.g. without faults).
    func start(_ node: String, environment: [String: String]? = nil) throws {
        self.nodes[node] = try NodeProcess(
            ["--config", self.configPath, "--node", node, "--log-level", "info"], log: node,
            environment: environment ?? self.environment,
            wrapper: self.network?.wrapper(for: node) ?? [])
    }

    func startAll() throws {
        for (name, _) in self.placement { try self.start(name) }
    }

    /// `node status --json`: its exit status and the parsed report.
    func status() async throws -> (status: Int32, report: ClusterReport) {
        let (status, output) = try await NodeProcess.run(["status", "--config", self.configPath, "--json"])
        guard let start = output.firstIndex(of: "{") else {
            throw NodeTestError("status printed no JSON (exit \(status)): \(output)")
        }
        return (status, try Timestamps.jsonDecoder().decode(ClusterReport.self, from: Data(output[start...].utf8)))
    }

    static func nodeState(_ report: ClusterReport, _ name: String) -> (state: String?, incarnation: String?) {
        let node = report.nodes.first { $0.name == name }
        return (node?.state, node?.incarnation)
    }

    /// Which node holds `service`'s lease, and its epoch, per the service's database.
    func leaseHolder(_ service: String) async throws -> (node: String, epoch: Int)? {
        let client = TestPostgres.client(self.urls[service]!, poolSize: 1)
        defer { client.shutdown() }
        return try await client.query("SELECT node, epoch FROM service_lease WHERE service = $1", [service]).first.map {
            (try $0.string("node"), try $0.int("epoch"))
        }
    }

    /// Does `fault` to the node holding `service`'s lease, then waits (up to 30 s) until another node holds
    /// it under a later epoch. The node hit, the new holder, and the seconds the takeover took (nil when
    /// no node held the lease, or it never moved: both recorded as issues).
    func takeover(
        of service: String, after fault: (_ node: String) async throws -> Void
    ) async throws -> (from: String, to: String, seconds: Double)? {
        guard let (active, epoch) = try await self.leaseHolder(service) else {
            Issue.record("no node holds \(service)'s lease")
            return nil
        }
        try await fault(active)
        let started = ContinuousClock.now
        var holder = (active, epoch)
        while holder.0 == active || holder.1 <= epoch {
            guard ContinuousClock.now - started < .seconds(30) else {
                Issue.record("\(service)'s lease stayed with \(active)")
                return nil
            }
            try await Task.sleep(for: .milliseconds(50))
            holder = try await self.leaseHolder(service) ?? holder
        }
        return (active, holder.0, (ContinuousClock.now - started) / .milliseconds(1) / 1000)
    }

    /// Waits for the gateway's `/health`.
    func waitForHTTP(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let client = try? await HTTPTestClient(host: self.httpHost, port: self.httpPort) {
                let response = try? await client.request(.GET, "/health")
                await client.close()
                if response?.status == 200 { return }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw NodeTestError(
            "the gateway did not answer on \(self.httpPort); edge log:\n\(self.nodes["edge"]?.output.suffix(3000) ?? "")"
        )
    }

    func stopAll() async {
        for node in self.nodes.values { _ = try? await node.terminate() }
        try? FileManager.default.removeItem(atPath: self.configPath)
    }
}
