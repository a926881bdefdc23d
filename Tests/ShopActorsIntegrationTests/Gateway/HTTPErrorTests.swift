import ActorRuntime
import ActorRuntimeTestSupport
import HTTPTestSupport
import Foundation
import NIOHTTP1
import NIOCore
import NIOPosix
import Testing

@testable import ShopActors

@Suite struct HTTPErrorTests {
    @Test func anUnknownRouteIs404JSON() async throws {
        try await withSharedGateway { _, http in
            for path in ["/nope", "/api/orders/a/b", "/auth", "/%00%ff"] {
                let response = try await http.request(.GET, path)
                #expect(response.status == 404, "\(path)")
                #expect(try response.error().success == false)
            }
        }
    }

    @Test func aWrongMethodIs405WithAllow() async throws {
        try await withSharedGateway { _, http in
            let cases: [(HTTPMethod, String, String)] = [
                (.GET, "/auth/login", "POST"), (.DELETE, "/api/orders", "POST"), (.POST, "/api/my-orders", "GET"),
                (.PUT, "/api/orders/123", "GET"), (.POST, "/health", "GET"),
            ]
            for (method, path, allowed) in cases {
                let response = try await http.request(method, path, body: [])
                #expect(response.status == 405, "\(method) \(path)")
                #expect(response.header("Allow") == allowed)
                #expect(try response.error().success == false)
            }
        }
    }

    @Test func garbageOnTheSocketClosesOnlyThatConnection() async throws {
        try await withSharedGateway { gateway, http in
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: gateway.port).get()
            try await channel.writeAndFlush(ByteBuffer(bytes: (0..<4096).map { _ in UInt8.random(in: 0...255) })).get()
            try await channel.closeFuture.get()  // the server hung up on it
            #expect(try await http.request(.GET, "/health").status == 200)
        }
    }

    @Test func anUnreachableServiceIs503ForReadsButOrdersAreStillAccepted() async throws {
        try await withGateway { gateway, http in
            let (auth, userID, _) = try await gateway.newUser(http)
            await gateway.shop.b.shutdown()  // product, inventory and payment are gone
            let categories = try await http.request(.GET, "/api/categories")
            #expect(categories.status == 503)
            #expect(try categories.error().message.contains("product"))
            let order = try await http.request(.POST, "/api/orders", headers: [auth], json: postmanOrder)
            #expect(order.status == 200)
            #expect(try await gateway.ordersOf(userID) == (1, 1))
            // Order history lives on the node that is still up.
            #expect(try await http.request(.GET, "/api/my-orders", headers: [auth]).status == 200)
        }
    }

    @Test func metricsAreServedInPrometheusFormat() async throws {
        try await withSharedGateway { gateway, http in
            let (auth, _, _) = try await gateway.newUser(http)
            #expect(
                try await http.request(
                    .POST, "/api/orders", headers: [auth],
                    json: #"{"payment_method_id":"method-1","order_items":[{"product_id":"product-3","quantity":1}]}"#
                ).status == 200)
            _ = try await http.request(.GET, "/nope")
            let metrics = try await http.request(.GET, "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.header("Content-Type")?.hasPrefix("text/plain") == true)
            let text = metrics.text
            #expect(text.contains(#"http_requests_total{route="/api/orders",method="POST",status="200"}"#))
            #expect(text.contains(#"http_requests_total{route="unmatched",method="GET",status="404"}"#))
            #expect(text.contains("http_request_duration_seconds_bucket{"))
            #expect(text.contains("shop_orders_created_total "))
            for service in ShopService.names {
                #expect(text.contains(#"shop_mailbox_pending{service="\#(service)"}"#), "\(service)")
                #expect(text.contains(#"shop_mailbox_dead_letters{service="\#(service)"} 0"#), "\(service)")
                #expect(text.contains(#"shop_service_up{service="\#(service)"} 1"#), "\(service)")
            }
            #expect(text.contains(#"shop_sagas{status="completed"}"#))
            #expect(text.contains(#"shop_sagas{status="compensated"}"#))
        }
    }
}
