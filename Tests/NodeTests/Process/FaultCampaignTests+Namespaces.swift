import ActorRuntime
import ActorRuntimeTestSupport
import Foundation
import ShopActors
import NIOCore
import Synchronization
import Testing

/// The cluster as on separate hosts: every node in its own network namespace with its own address (frames
/// encrypted, as they are by default off loopback), Postgres reached through the bridge. Orders complete;
/// then the node running the stock services loses its link (packets dropped, nothing reset), the standby
/// takes over, orders keep completing, and when the link returns the cut node stands by.
///
/// Part of the fault campaign's suite, so that it never runs beside another campaign run (both load the machine).
extension FaultCampaignTests {
    @Test func nodesOnTheirOwnAddressesServeOrdersLoseALinkAndHeal() async throws {
        try await self.namespaceScenario(
            "link cut", cut: { lab, node in try await lab.cut(node) }, heal: { lab, node in try await lab.heal(node) })
    }

    /// The node holding the lease still reaches its database but none of its peers: it gives the lease up,
    /// the standby (which still sees the cluster) takes it, and the cut-off node stands by when it rejoins.
    @Test func anActiveNodeCutOffFromItsPeersButNotItsDatabaseHandsOver() async throws {
        try await self.namespaceScenario(
            "peers unreachable", cut: { lab, node in try await lab.isolateFromPeers(node) },
            heal: { lab, node in try await lab.rejoin(node) }, standsByWhen: "gives the lease up: no peer reachable")
    }

    func namespaceScenario(
        _ name: String, cut: @escaping @Sendable (NetworkLab, String) async throws -> Void,
        heal: @escaping @Sendable (NetworkLab, String) async throws -> Void,
        standsByWhen logLine: String = "stands by: the lease was lost"
    ) async throws {
        let placement = ProcessCluster.placement + [("stock2", ProcessCluster.services(on: "stock"))]
        let lab = try await NetworkLab.create(nodes: placement.map(\.0))
        let server = try await TestPostgres.server
        let proxy: FreezingProxy
        let cluster: ProcessCluster
        do {
            proxy = try await FreezingProxy.start(
                to: try SocketAddress(ipAddress: "127.0.0.1", port: server.configuration.port), host: lab.bridgeAddress)
            cluster = try await ProcessCluster(
                extraConfig: "[saga]\nstep_deadline_seconds = 30", placement: placement, network: lab,
                postgres: (lab.bridgeAddress, proxy.port))
        } catch {
            await lab.destroy()
            throw error
        }
        do {
            try cluster.startAll()
            try await cluster.waitForHTTP(timeout: .seconds(180))  // nodes wait for the bridge and the database
            let load = OrderLoad(host: cluster.httpHost, port: cluster.httpPort)
            let tokens = try await load.makeUsers(4)
            let deadline = ContinuousClock.now + .seconds(30)
            async let loading: Void = load.run(tokens: tokens, interval: .milliseconds(150), until: deadline)

            let orders = TestPostgres.client(cluster.urls["order"]!, poolSize: 1)
            defer { orders.shutdown() }
            func completed() async throws -> Int {
                try await orders.query("SELECT count(*) AS n FROM orders WHERE status = 'completed'").first?.int("n")
                    ?? 0
            }
            try await eventually("orders complete across the namespaces", timeout: .seconds(60)) {
                try await completed() >= 10
            }

            guard
                let (active, holder, takeover) = try await cluster.takeover(
                    of: "inventory",
                    after: { node in
                        try await cut(lab, node)
                    })
            else { return }
            print(
                "[namespaces] \(name): \(active) cut off; \(holder) took inventory's lease after \(String(format: "%.2f", takeover)) s"
            )
            #expect(takeover <= 10, "took \(takeover) s")
            let before = try await completed()
            try await eventually("orders complete while the link is down", timeout: .seconds(30)) {
                try await completed() > before + 5
            }
            try await heal(lab, active)
            let cutNode = cluster.nodes[active]!
            try await eventually("the healed node stands by", timeout: .seconds(30)) {
                cutNode.output.contains(logLine)
            }
            try await eventually("the healed node is back in the cluster", timeout: .seconds(30)) {
                let services = (try? await cluster.status().report.services) ?? []
                return services.contains { $0.service == "inventory" && $0.node == active && $0.role == "standby" }
            }
            await loading

            let (violations, summary) = try await Invariants(urls: cluster.urls).settleAndCheck()
            print("[namespaces] \(name): \(load.accepted.withLock { $0.count }) accepted; \(summary)")
            #expect(violations.isEmpty, "\(violations.joined(separator: "; "))")
            if !violations.isEmpty {
                for (node, process) in cluster.nodes { print("---- \(node) log ----\n\(process.output.suffix(4000))") }
            }
        } catch {
            for (node, process) in cluster.nodes { print("---- \(node) log ----\n\(process.output.suffix(4000))") }
            await cluster.stopAll()
            await proxy.close()
            await lab.destroy()
            throw error
        }
        await cluster.stopAll()
        await proxy.close()
        await lab.destroy()
    }

}
