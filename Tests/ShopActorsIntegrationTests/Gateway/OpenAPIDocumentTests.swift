import ActorRuntimeTestSupport
import HTTPTestSupport
import Foundation
import HTTPTypes
import NIOHTTP1
import Testing
import Yams

@testable import ShopActors

/// `docs/openapi.yaml` describes exactly the routes the gateway serves, and the gateway serves it.
@Suite struct OpenAPIDocumentTests {
    /// The document in the repository (what readers open), as (METHOD, path) pairs.
    static func documentedRoutes() throws -> (text: String, routes: Set<String>) {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../../docs/openapi.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect(document["openapi"] as? String == "3.0.3")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var routes = Set<String>()
        for (path, operations) in paths {
            for method in operations.keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                routes.insert("\(method.uppercased()) \(path)")
            }
        }
        return (text, routes)
    }

    @Test func theDocumentListsEveryServedRouteAndNoOther() async throws {
        let (_, documented) = try Self.documentedRoutes()
        try await withSharedGateway { fixture, http in
            let served = Set(
                fixture.gateway.routes(public: true, operations: true).map { "\($0.0.rawValue) \($0.1)" })
            #expect(
                documented == served,
                "only documented: \(documented.subtracting(served)); only served: \(served.subtracting(documented))")
            // And the live server routes each of them (without a session every {id} route is 401, so a 404 or
            // 405 can only mean the path or method is not served).
            for route in documented.sorted() {
                let parts = route.split(separator: " ", maxSplits: 1)
                let path = parts[1].replacingOccurrences(of: "{id}", with: "no-such-id")
                let response = try await http.request(.init(rawValue: String(parts[0])), path)
                #expect(
                    ![404, 405].contains(response.status), "\(route): \(response.status) \(response.text.prefix(200))")
            }
        }
    }

    @Test func theGatewayServesTheDocument() async throws {
        let (text, _) = try Self.documentedRoutes()
        try await withSharedGateway { _, http in
            let response = try await http.request(.GET, "/openapi.yaml")
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/yaml")
            #expect(response.text == text)
        }
    }
}
