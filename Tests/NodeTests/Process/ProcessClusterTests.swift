import ActorRuntimeTestSupport
import HTTPTestSupport
import Foundation
import NIOHTTP1
import Testing

@testable import ShopActors

/// The cluster as users run it: one `node` process per node, real TCP between them, real HTTP in front.
@Suite struct ProcessClusterTests {
    @Test func threeNodeProcessesServeThePostmanFlowAndStatusFollowsAStopAndRestart() async throws {
        let cluster = try await ProcessCluster()
        do {
            try cluster.startAll()
            try await cluster.waitForHTTP()

            let http = try await HTTPTestClient(port: cluster.httpPort)
            #expect(
                try await http.request(
                    .POST, "/auth/register",
                    json: #"{"name":"user1","email":"user1@example.com","password":"password"}"#
                ).status == 200)
            let login = try await http.request(
                .POST, "/auth/login", json: #"{"email":"user1@example.com","password":"password"}"#)
            let auth = ("Authorization", "Bearer \(try login.decode(Gateway.LoggedIn.self).sessionID)")
            #expect(try await http.request(.GET, "/auth/profile", headers: [auth]).status == 200)
            let order =
                #"{"payment_method_id":"method-1","order_items":[{"product_id":"product-1","quantity":11},{"product_id":"product-2","quantity":21},{"product_id":"product-3","quantity":31}]}"#
            #expect(try await http.request(.POST, "/api/orders", headers: [auth], json: order).status == 200)
            var completed: HistoryOrder?
            for _ in 0..<600 {
                let orders = try await http.request(.GET, "/api/my-orders?page=1&limit=10", headers: [auth])
                    .decode(Gateway.MyOrders.self).orders
                if let first = orders?.first, first.status == "order_completed" {
                    completed = first; break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(completed?.paymentSum == 1_460_000)
            #expect(try await http.request(.GET, "/api/categories?page=1&limit=10").status == 200)
            #expect(try await http.request(.GET, "/api/products?category_id=cat-1&page=1&limit=10").status == 200)
            #expect(try await http.request(.POST, "/auth/logout", headers: [auth]).status == 200)
            await http.close()

            let (allUp, report) = try await cluster.status()
            #expect(allUp == 0)
            for name in ["edge", "orders", "stock"] {
                #expect(ProcessCluster.nodeState(report, name).state == "up", "\(name)")
            }
            #expect(report.sagas?["completed"] == 1)
            let admission = report.admission
            #expect(
                admission?.accepted == 1 && admission?.shed == 0 && admission?.limit == 2000,
                "\(String(describing: admission))")
            let before = ProcessCluster.nodeState(report, "stock").incarnation

            // SIGTERM: a clean exit, and the others see it gone.
            #expect(try await cluster.nodes["stock"]!.terminate() == 0)
            let (oneDown, downReport) = try await cluster.status()
            #expect(oneDown == 1)
            #expect(ProcessCluster.nodeState(downReport, "stock").state == "down")
            #expect(ProcessCluster.nodeState(downReport, "edge").state == "up")
            #expect(downReport.services.first { $0.service == "payment" }?.reachable == false)

            try cluster.start("stock")
            var after: String?
            for _ in 0..<60 {
                let (code, report) = try await cluster.status()
                let state = ProcessCluster.nodeState(report, "stock")
                if code == 0, state.state == "up" { after = state.incarnation; break }
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(after != nil)
            #expect(after != before)
        } catch {
            for (name, node) in cluster.nodes { print("---- \(name) log ----\n\(node.output.suffix(4000))") }
            await cluster.stopAll()
            throw error
        }
        await cluster.stopAll()
    }
}
