import ActorRuntime
import ActorRuntimeTestSupport
import HTTPTestSupport
import Foundation
import NIOHTTP1
import Synchronization
import Testing

@testable import ShopActors

/// The whole shop (`ShopFixture`) plus the gateway's HTTP server on a free port, and a clock tests can move.
final class GatewayFixture: Sendable {
    let shop: ShopFixture
    let gateway: Gateway
    let port: Int
    /// The gateway's query actor, as its node hosts it (the dashboard and `node status` ask it).
    let gatewayActor: GatewayService
    private let clock = MovableClock()
    private let run: Task<Void, any Error>

    init(
        configure: (inout GatewayConfiguration) -> Void = { _ in }, logs: LogRecorder? = nil,
        sharedDemoMethods: Bool = true
    ) async throws {
        self.shop = try await ShopFixture(sharedDemoMethods: sharedDemoMethods)
        let clock = self.clock
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.readTimeout = .seconds(2)
        configuration.maxRegistrationsPerClient = 1_000_000  // every test registers its users from 127.0.0.1
        configure(&configuration)
        let gateway = Gateway(
            configuration: configuration, system: self.shop.a, db: self.shop.clients["gateway"]!,
            mailbox: self.shop.mailboxes["gateway"]!, logger: logs?.logger() ?? TestSettings.quietLogger,
            now: { clock.now() })
        self.gateway = gateway
        let system = self.shop.a
        self.gatewayActor = system.makeActor(path: GatewayService.path) {
            GatewayService(actorSystem: system, gateway: gateway)
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        self.run = Task { try await gateway.run(onListening: { continuation.yield($0) }) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw HTTPTestClientError("the gateway did not start") }
        self.port = port
    }

    /// One fixture shared by the tests that do not move the clock or need special limits; each of those
    /// tests works with its own users, so they do not see each other.
    static let shared = Task { try await GatewayFixture() }

    func advanceClock(by seconds: TimeInterval) {
        self.clock.offset.withLock { $0 += seconds }
    }

    func client() async throws -> HTTPTestClient {
        try await HTTPTestClient(port: self.port)
    }

    /// Registers a new user with a unique email and logs in; the bearer header and the user id.
    func newUser(_ client: HTTPTestClient, password: String = "password") async throws -> (
        auth: (String, String), userID: String, email: String
    ) {
        let email = "user-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let registered = try await client.request(
            .POST, "/auth/register", json: #"{"name":"user1","email":"\#(email)","password":"\#(password)"}"#)
        #expect(registered.status == 200, "\(registered.text)")
        let login = try await client.request(
            .POST, "/auth/login", json: #"{"email":"\#(email)","password":"\#(password)"}"#)
        #expect(login.status == 200, "\(login.text)")
        let body = try login.body(Gateway.LoggedIn.self)
        return (("Authorization", "Bearer \(body.sessionID)"), body.userID, email)
    }

    /// How many orders the gateway accepted for `userID`, and how many sagas its SagaCreateOrder messages started
    /// (counted once the gateway has delivered them all; delivered rows leave its outbox).
    func ordersOf(_ userID: String) async throws -> (orders: Int, queued: Int) {
        let orders = try await self.shop.query(
            "gateway", "SELECT count(*) AS n FROM orders WHERE user_id = $1", [userID])
        try await eventually("the gateway's outbox drained") {
            try await self.shop.query("gateway", "SELECT count(*) AS n FROM outbox WHERE status = 0").first!.int("n")
                == 0
        }
        let queued = try await self.shop.query(
            "order-saga", "SELECT count(*) AS n FROM sagas WHERE user_id = $1", [userID])
        return (try orders.first!.int("n"), try queued.first!.int("n"))
    }

    func shutdown() async {
        self.run.cancel()
        _ = await self.run.result
        await self.shop.shutdown()
    }
}

/// Runs `body` against a gateway of its own (for tests that move the clock or tighten limits).
func withGateway(
    configure: (inout GatewayConfiguration) -> Void = { _ in }, logs: LogRecorder? = nil,
    sharedDemoMethods: Bool = true,
    _ body: (GatewayFixture, HTTPTestClient) async throws -> Void
) async throws {
    let fixture = try await GatewayFixture(configure: configure, logs: logs, sharedDemoMethods: sharedDemoMethods)
    let client = try await fixture.client()
    do {
        try await body(fixture, client)
    } catch {
        await client.close()
        await fixture.shutdown()
        throw error
    }
    await client.close()
    await fixture.shutdown()
}

/// Runs `body` against the shared gateway with a fresh connection.
func withSharedGateway(_ body: (GatewayFixture, HTTPTestClient) async throws -> Void) async throws {
    let fixture = try await GatewayFixture.shared.value
    let client = try await fixture.client()
    do {
        try await body(fixture, client)
    } catch {
        await client.close()
        throw error
    }
    await client.close()
}

/// The Postman collection's order body.
let postmanOrder =
    #"{"payment_method_id":"method-1","order_items":[{"product_id":"product-1","quantity":11},{"product_id":"product-2","quantity":21},{"product_id":"product-3","quantity":31}]}"#

/// Wall-clock time plus an offset a test can move forward.
final class MovableClock: Sendable {
    let offset = Mutex<TimeInterval>(0)
    func now() -> Date { Date().addingTimeInterval(self.offset.withLock { $0 }) }
}

extension HTTPTestClient.Response {
    /// The body as the gateway's error (`{"success":false,"message":...,"parameter":...}`).
    func error() throws -> GatewayError.Body { try self.decode(GatewayError.Body.self) }

    /// The body as one of the gateway's own response types (dates in RFC 3339, as the gateway writes them).
    func body<T: Decodable>(_ type: T.Type) throws -> T { try self.decode(T.self, decoder: Timestamps.jsonDecoder()) }
}
