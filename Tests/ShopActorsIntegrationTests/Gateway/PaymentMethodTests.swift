import ActorRuntime
import ActorRuntimeTestSupport
import HTTPTestSupport
import Crypto
import Foundation
import NIOHTTP1
import Testing

@testable import ShopActors

/// Payment methods belong to one user: nobody pays with another user's method, and the answer does not
/// reveal that it exists. The seed's methods are shared demo methods, only while the switch is on.
@Suite struct PaymentMethodTests {
    static let card = #"{"payment_type":"card","gateway":"sber","token":"tok_4242424242424242"}"#

    /// Places an order for one unit of product-3 with `method` and waits for its final status.
    func order(_ http: HTTPTestClient, _ auth: (String, String), method: String, gateway: GatewayFixture) async throws
        -> String
    {
        let created = try await http.request(
            .POST, "/api/orders", headers: [auth],
            json: #"{"payment_method_id":"\#(method)","order_items":[{"product_id":"product-3","quantity":1}]}"#)
        #expect(created.status == 200, "\(created.text)")
        let orderID = try created.body(Gateway.OrderCreated.self).orderID
        _ = try await gateway.shop.waitForSaga(order: orderID)
        return orderID
    }

    func payment(_ gateway: GatewayFixture, order: String) async throws -> (status: String, method: String)? {
        try await gateway.shop.query("payment", "SELECT status, method_id FROM payments WHERE order_id = $1", [order])
            .first.map {
                (try $0.string("status"), try $0.string("method_id"))
            }
    }

    @Test func aUserPaysOnlyWithTheirOwnMethodAndAStrangersFailsLikeAnUnknownOne() async throws {
        try await withSharedGateway { gateway, http in
            let (owner, _, _) = try await gateway.newUser(http)
            let (stranger, _, _) = try await gateway.newUser(http)
            let added = try await http.request(.POST, "/api/payment-methods", headers: [owner], json: Self.card)
            #expect(added.status == 200, "\(added.text)")
            let addedBody = try added.body(Gateway.PaymentMethodCreated.self)
            #expect(addedBody.success == true)
            let methodID = addedBody.paymentMethodID

            let own = try await self.order(http, owner, method: methodID, gateway: gateway)
            #expect(try await gateway.shop.sagaStatus(order: own) == "completed")
            #expect(try await self.payment(gateway, order: own)?.status == "completed")

            // The stranger's order with it, and one with an id nobody has: the same outcome, the same error.
            let stolen = try await self.order(http, stranger, method: methodID, gateway: gateway)
            let unknown = try await self.order(
                http, stranger, method: "pm-\(UUID().uuidString.lowercased())", gateway: gateway)
            for order in [stolen, unknown] {
                #expect(try await gateway.shop.sagaStatus(order: order) == "compensated")
                #expect(try await self.payment(gateway, order: order)?.status == "failed")
            }
            let errors = try await gateway.shop.query(
                "order-saga", "SELECT order_id, timeline FROM sagas WHERE order_id = ANY($1::text[])",
                [PostgresArray([stolen, unknown])])
            let texts = try errors.rows.map { row in
                try row.string("timeline").replacingOccurrences(of: methodID, with: "ID")
                    .replacingOccurrences(of: #"pm-[0-9a-f-]{36}"#, with: "ID", options: .regularExpression)
            }
            #expect(texts.count == 2)
            #expect(texts.allSatisfy { $0.contains("unknown payment method ID") }, "\(texts)")
        }
    }

    @Test func listingShowsOwnAndSharedMethodsAndNeverATokenWhichIsStoredOnlyAsAHash() async throws {
        try await withSharedGateway { gateway, http in
            let (owner, _, _) = try await gateway.newUser(http)
            let (other, _, _) = try await gateway.newUser(http)
            let id = try await http.request(.POST, "/api/payment-methods", headers: [owner], json: Self.card)
                .body(Gateway.PaymentMethodCreated.self).paymentMethodID
            let listed = try await http.request(.GET, "/api/payment-methods", headers: [owner])
            #expect(listed.status == 200)
            #expect(!listed.text.contains("tok_4242424242424242"))
            let methods = try listed.body(Gateway.PaymentMethodList.self).paymentMethods
            #expect(methods.map(\.id) == [id, "method-1", "method-2", "method-fail"])
            #expect(methods.first?.paymentType == "card" && methods.first?.gateway == "sber")
            #expect(methods.first?.shared == false && methods.last?.shared == true)
            let others = try await http.request(.GET, "/api/payment-methods", headers: [other])
                .body(Gateway.PaymentMethodList.self).paymentMethods
            #expect(!others.contains { $0.id == id })

            let row = try #require(
                try await gateway.shop.query("payment", "SELECT * FROM methods WHERE id = $1", [id]).first)
            #expect(try row.string("token_sha256") == SHA256.hexDigest("tok_4242424242424242"))
            let everything = try await gateway.shop.query(
                "payment", "SELECT m::text AS t FROM methods m WHERE id = $1", [id])
            #expect(try !everything.first!.string("t").contains("tok_4242424242424242"))
            #expect(try await http.request(.GET, "/api/payment-methods").status == 401)
        }
    }

    @Test func onlyTheOwnerDeletesAMethodAndADeletedMethodNoLongerPays() async throws {
        try await withSharedGateway { gateway, http in
            let (owner, _, _) = try await gateway.newUser(http)
            let (stranger, _, _) = try await gateway.newUser(http)
            let id = try await http.request(.POST, "/api/payment-methods", headers: [owner], json: Self.card)
                .body(Gateway.PaymentMethodCreated.self).paymentMethodID
            #expect(try await http.request(.DELETE, "/api/payment-methods/\(id)", headers: [stranger]).status == 404)
            #expect(try await http.request(.DELETE, "/api/payment-methods/method-1", headers: [owner]).status == 404)
            #expect(
                try await http.request(.DELETE, "/api/payment-methods/x'%3B%20DROP%20TABLE%20methods", headers: [owner])
                    .status == 404)
            let deleted = try await http.request(.DELETE, "/api/payment-methods/\(id)", headers: [owner])
            #expect(deleted.status == 200)
            #expect(try deleted.body(Gateway.Done.self).success == true)
            #expect(try await http.request(.DELETE, "/api/payment-methods/\(id)", headers: [owner]).status == 404)
            let order = try await self.order(http, owner, method: id, gateway: gateway)
            #expect(try await gateway.shop.sagaStatus(order: order) == "compensated")
            // The seed's shared method still pays (the switch is on here).
            let shared = try await self.order(http, owner, method: "method-1", gateway: gateway)
            #expect(try await gateway.shop.sagaStatus(order: shared) == "completed")
        }
    }

    @Test func badBodiesAre400NamingTheFieldAndStoreNothing() async throws {
        try await withSharedGateway { gateway, http in
            let (auth, userID, _) = try await gateway.newUser(http)
            let cases: [(String, String?)] = [
                (#"{"payment_type":"card","gateway":"sber"}"#, "token"),
                (#"{"gateway":"sber","token":"tok_12345678"}"#, "payment_type"),
                (#"{"payment_type":"crypto","gateway":"sber","token":"tok_12345678"}"#, "payment_type"),
                (#"{"payment_type":"card","gateway":"sb'er; DROP TABLE methods","token":"tok_12345678"}"#, "gateway"),
                (#"{"payment_type":"card","gateway":"madeup","token":"tok_12345678"}"#, "gateway"),
                (#"{"payment_type":"card","gateway":"sber","token":"short"}"#, "token"),
                (#"{"payment_type":"card","gateway":"sber","token":12345678}"#, "token"),
                (#"{"payment_type":"card","#, nil),
                ("[]", nil),
            ]
            for (body, field) in cases {
                let response = try await http.request(.POST, "/api/payment-methods", headers: [auth], json: body)
                #expect(response.status == 400, "\(body): \(response.text)")
                #expect(try response.error().success == false)
                if let field {
                    #expect(try response.error().parameter == field, "\(body): \(response.text)")
                }
            }
            let stored = try await gateway.shop.query(
                "payment", "SELECT count(*) AS n FROM methods WHERE user_id = $1", [userID])
            #expect(try stored.first!.int("n") == 0)
        }
    }

    @Test func withSharedDemoMethodsOffTheSeedMethodsPayForNobody() async throws {
        try await withGateway(sharedDemoMethods: false) { gateway, http in
            let (auth, _, _) = try await gateway.newUser(http)
            let order = try await self.order(http, auth, method: "method-1", gateway: gateway)
            #expect(try await gateway.shop.sagaStatus(order: order) == "compensated")
            let methods = try await http.request(.GET, "/api/payment-methods", headers: [auth])
                .body(Gateway.PaymentMethodList.self).paymentMethods
            #expect(methods.isEmpty)
            let id = try await http.request(.POST, "/api/payment-methods", headers: [auth], json: Self.card)
                .body(Gateway.PaymentMethodCreated.self).paymentMethodID
            let own = try await self.order(http, auth, method: id, gateway: gateway)
            #expect(try await gateway.shop.sagaStatus(order: own) == "completed")
        }
    }
}
