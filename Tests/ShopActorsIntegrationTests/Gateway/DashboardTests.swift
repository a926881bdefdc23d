import ActorRuntime
import ActorRuntimeTestSupport
import HTTPTestSupport
import Foundation
import NIOHTTP1
import Testing

@testable import ShopActors

/// The dashboard in a real headless browser: the page loads, runs its script against the live gateway, and
/// shows every node with its state.
@Suite struct DashboardTests {
    func cards(_ dom: String) -> [String: String] {
        // <div class="card up" data-node="a">…<span class="state up">up</span>
        var found: [String: String] = [:]
        for part in dom.components(separatedBy: "data-node=\"").dropFirst() {
            guard let name = part.split(separator: "\"").first,
                let state = part.components(separatedBy: "class=\"state ").dropFirst().first?.split(separator: "\"")
                    .first
            else { continue }
            found[String(name)] = String(state)
        }
        return found
    }

    @Test func theDashboardShowsEveryNodeAndItsStateInABrowser() async throws {
        try await withGateway { gateway, http in
            let page = try await http.request(.GET, "/ui")
            #expect(page.status == 200)
            #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
            // Self-contained: no external script, stylesheet or image.
            #expect(!page.text.contains("<script src") && !page.text.contains("<link") && !page.text.contains("<img"))

            let dom = try await HeadlessBrowser.dumpDOM("http://127.0.0.1:\(gateway.port)/ui")
            #expect(self.cards(dom) == ["a": "up", "b": "up"], "\(dom.prefix(2000))")
            #expect(dom.contains("2 of 2 nodes up"))
            for service in ["gateway", "order-saga", "payment"] { #expect(dom.contains(">\(service)<"), "\(service)") }
            // The gateway's admission control: orders accepted, shed and in flight against the limit.
            for tile in ["admission-accepted", "admission-shed", "admission-in"] {
                #expect(dom.contains("id=\"\(tile)\""), "\(tile)")
            }
            #expect(dom.contains("/ 2000"), "\(dom.prefix(3000))")

            await gateway.shop.b.shutdown()
            try await gateway.shop.a.waitForMembers(["b"], toBe: .down, timeout: .seconds(10))
            let after = try await HeadlessBrowser.dumpDOM("http://127.0.0.1:\(gateway.port)/ui")
            #expect(self.cards(after) == ["a": "up", "b": "down"], "\(after.prefix(2000))")
            #expect(after.contains("1 of 2 nodes up"))
        }
    }

    @Test func theDashboardDataIsJSON() async throws {
        try await withSharedGateway { _, http in
            let response = try await http.request(.GET, "/ui/cluster.json")
            #expect(response.status == 200)
            let report = try response.body(Gateway.DashboardState.self).report
            #expect(Set(report.nodes.map(\.name)) == ["a", "b"])
            #expect(report.services.count == 7)
            #expect(report.services.allSatisfy { $0.reachable })
        }
    }

    @Test func withAnOperationsListenerThePublicOneAnswers404ForOperationsPaths() async throws {
        let shop = try await ShopFixture()
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.opsHost = "127.0.0.1"
        configuration.opsPort = 0
        let gateway = Gateway(
            configuration: configuration, system: shop.a, db: shop.clients["gateway"]!,
            mailbox: shop.mailboxes["gateway"]!,
            logger: TestSettings.quietLogger)
        let (ports, continuation) = AsyncStream.makeStream(of: (String, Int).self)
        let run = Task {
            try await gateway.run(
                onListening: { continuation.yield(("public", $0)) }, onOpsListening: { continuation.yield(("ops", $0)) }
            )
        }
        var bound: [String: Int] = [:]
        for await (name, port) in ports {
            bound[name] = port
            if bound.count == 2 { break }
        }
        let publicHTTP = try await HTTPTestClient(port: bound["public"]!)
        let opsHTTP = try await HTTPTestClient(port: bound["ops"]!)
        for path in ["/metrics", "/ui", "/ui/cluster.json"] {
            #expect(try await publicHTTP.request(.GET, path).status == 404, "\(path)")
            #expect(try await opsHTTP.request(.GET, path).status == 200, "\(path)")
        }
        #expect(try await publicHTTP.request(.GET, "/health").status == 200)
        #expect(try await publicHTTP.request(.GET, "/api/categories?page=1&limit=10").status == 200)
        #expect(try await opsHTTP.request(.GET, "/api/categories?page=1&limit=10").status == 404)
        await publicHTTP.close()
        await opsHTTP.close()
        run.cancel()
        _ = await run.result
        await shop.shutdown()
    }
}
