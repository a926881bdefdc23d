import ActorRuntime
import ActorRuntimeTestSupport
import HTTPTestSupport
import Foundation
import NIOHTTP1
import Testing

@testable import ShopActors

/// `POST /api/orders` through the group intake: concurrent requests of many users share commits, yet each is
/// answered with its own order for its own user; past the in-flight limit the answer is 503.
@Suite struct OrderIntakeTests {
    @Test func concurrentOrdersOfManyUsersEachGetTheirOwnOrder() async throws {
        try await withSharedGateway { gateway, http in
            var users: [(auth: (String, String), userID: String)] = []
            for _ in 0..<4 {
                let (auth, userID, _) = try await gateway.newUser(http)
                users.append((auth, userID))
            }
            let forged = ("Authorization", "Bearer not-a-session-\(UUID().uuidString)")
            let body = #"{"payment_method_id":"method-1","order_items":[{"product_id":"product-2","quantity":1}]}"#
            let port = gateway.port
            // 4 users × 6 orders, plus 6 requests with a token nobody issued, all at once.
            let answers = try await withThrowingTaskGroup(of: (String?, Int, String?).self) { group in
                for round in 0..<6 {
                    for user in users + [(auth: forged, userID: "")] {
                        group.addTask {
                            let client = try await HTTPTestClient(port: port)
                            defer { Task { await client.close() } }
                            let key = ("Idempotency-Key", "k-\(round)")
                            let response = try await client.request(
                                .POST, "/api/orders", headers: [user.auth, key], json: body)
                            return (
                                user.userID.isEmpty ? nil : user.userID, response.status,
                                try? response.body(Gateway.OrderCreated.self).orderID
                            )
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let forgedAnswers = answers.filter { answer in answer.0 == nil }
            let accepted = answers.filter { answer in answer.0 != nil }
            #expect(
                forgedAnswers.count == 6 && forgedAnswers.allSatisfy { answer in answer.1 == 401 && answer.2 == nil })
            #expect(accepted.count == 24 && accepted.allSatisfy { answer in answer.1 == 200 }, "\(accepted.map(\.1))")
            #expect(Set(accepted.compactMap(\.2)).count == 24)
            for user in users {
                let (orders, queued) = try await gateway.ordersOf(user.userID)
                #expect(orders == 6 && queued == 6)
                // Each answer names an order of the user who asked.
                let ids = accepted.filter { answer in answer.0 == user.userID }.compactMap(\.2)
                let owned = try await gateway.shop.query(
                    "gateway", "SELECT count(*) AS n FROM orders WHERE user_id = $1 AND id = ANY($2::text[])",
                    [user.userID, PostgresArray(ids)])
                #expect(try owned.first!.int("n") == 6)
            }
        }
    }

    @Test func pastTheInFlightLimitAnOrderIs503WithRetryAfterAndQueuesNothing() async throws {
        // One sample at start (nothing in flight), then none for the test's length: the count only grows.
        try await withGateway(configure: {
            $0.maxOrdersInFlight = 2
            $0.retryAfter = .seconds(3)
            $0.admissionSampleInterval = .seconds(3600)
        }) { gateway, http in
            try await eventually("an in-flight sample was taken") { gateway.gateway.admission.samples > 0 }
            let (auth, userID, _) = try await gateway.newUser(http)
            let body = #"{"payment_method_id":"method-1","order_items":[{"product_id":"product-2","quantity":1}]}"#
            for _ in 0..<2 {
                #expect(try await http.request(.POST, "/api/orders", headers: [auth], json: body).status == 200)
            }
            let shed = try await http.request(.POST, "/api/orders", headers: [auth], json: body)
            #expect(shed.status == 503, "\(shed.text)")
            #expect(shed.header("Retry-After") == "3")
            #expect(try shed.error().success == false)
            #expect(try await gateway.ordersOf(userID).orders == 2)
            let metrics = try await http.request(.GET, "/metrics")
            #expect(metrics.text.contains("shop_orders_shed_total 1"), "\(metrics.text)")
            #expect(gateway.gateway.admission.report == AdmissionReport(accepted: 2, shed: 1, inFlight: 2, limit: 2))
        }
    }
}
