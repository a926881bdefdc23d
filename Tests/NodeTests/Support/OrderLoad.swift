import ActorRuntimeTestSupport
import HTTPTestSupport
import Foundation
import NIOHTTP1
import Synchronization

@testable import ShopActors

/// Orders over HTTP at a steady pace from a few users, riding through faults: a refused or broken connection
/// is reopened and the loop goes on. Only orders answered 200 count as accepted (and the invariants check
/// the gateway's own record, which also holds orders whose answer was lost).
final class OrderLoad: Sendable {
    let accepted = Mutex<[String]>([])
    let refused = Mutex<Int>(0)
    let host: String
    let port: Int

    init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }

    static let bodies = [
        #"{"payment_method_id":"method-1","order_items":[{"product_id":"product-1","quantity":1}]}"#,
        #"{"payment_method_id":"method-2","order_items":[{"product_id":"product-2","quantity":2},{"product_id":"product-3","quantity":1}]}"#,
        #"{"payment_method_id":"method-fail","order_items":[{"product_id":"product-3","quantity":3}]}"#,
        #"{"payment_method_id":"method-1","order_items":[{"product_id":"product-1","quantity":2},{"product_id":"product-2","quantity":1}]}"#,
    ]

    /// Registers and logs in `count` users (before any fault, so the load window is all orders).
    func makeUsers(_ count: Int) async throws -> [String] {
        try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<count {
                group.addTask { try await self.user(index) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// Each user posts one order every `interval` until `deadline`.
    func run(tokens: [String], interval: Duration, until deadline: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            for (index, token) in tokens.enumerated() {
                group.addTask { await self.client(token: token, index: index, interval: interval, until: deadline) }
            }
        }
    }

    /// Registers and logs in one user, retrying through faults (a 409 means an earlier try got through).
    private func user(_ index: Int) async throws -> String {
        let email = "fault-\(index)-\(UInt32.random(in: 0...UInt32.max))@example.com"
        let body = #"{"name":"fault","email":"\#(email)","password":"password"}"#
        let deadline = ContinuousClock.now + .seconds(60)
        var lastError = ""
        while ContinuousClock.now < deadline {
            do {
                let http = try await HTTPTestClient(host: self.host, port: self.port)
                defer { Task { await http.close() } }
                let registered = try await http.request(.POST, "/auth/register", json: body)
                guard registered.status == 200 || registered.status == 409 else {
                    throw NodeTestError("register: \(registered.text)")
                }
                let login = try await http.request(.POST, "/auth/login", json: body)
                if let token = try? login.decode(Gateway.LoggedIn.self).sessionID { return token }
                lastError = "login: \(login.status) \(login.text)"
            } catch {
                lastError = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw NodeTestError("could not register a user within 60 s: \(lastError)")
    }

    private func client(token: String, index: Int, interval: Duration, until deadline: ContinuousClock.Instant) async {
        var http: HTTPTestClient?
        var sequence = index
        while ContinuousClock.now < deadline {
            sequence += 1
            do {
                if http == nil { http = try await HTTPTestClient(host: self.host, port: self.port) }
                let response = try await http!.request(
                    .POST, "/api/orders", headers: [("Authorization", "Bearer \(token)")],
                    json: Self.bodies[sequence % Self.bodies.count])
                if response.status == 200, let id = try? response.decode(Gateway.OrderCreated.self).orderID {
                    self.accepted.withLock { $0.append(id) }
                } else {
                    self.refused.withLock { $0 += 1 }
                }
            } catch {
                self.refused.withLock { $0 += 1 }
                await http?.close()
                http = nil
            }
            try? await Task.sleep(for: interval)
        }
        await http?.close()
    }
}
