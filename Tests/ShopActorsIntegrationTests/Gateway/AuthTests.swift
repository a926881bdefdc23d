import ActorRuntime
import ActorRuntimeTestSupport
import HTTPTestSupport
import Foundation
import NIOHTTP1
import Testing

@testable import ShopActors

@Suite struct AuthTests {
    @Test func aTakenEmailIs409AndCreatesNobody() async throws {
        try await withSharedGateway { gateway, http in
            let (_, _, email) = try await gateway.newUser(http)
            // Normalised: case and surrounding spaces do not make a new account.
            let again = try await http.request(
                .POST, "/auth/register",
                json: #"{"name":"other","email":"  \#(email.uppercased()) ","password":"password2"}"#)
            #expect(again.status == 409)
            #expect(try again.error().message == "User already exists")
            #expect(try again.error().success == false)
            let count = try await gateway.shop.query(
                "gateway", "SELECT count(*) AS n FROM users WHERE email = $1", [email])
            #expect(try count.first?.int("n") == 1)
        }
    }

    @Test func aWrongPasswordIs401WithTheOriginalsBody() async throws {
        try await withSharedGateway { gateway, http in
            let (_, _, email) = try await gateway.newUser(http)
            let wrong = try await http.request(
                .POST, "/auth/login", json: #"{"email":"\#(email)","password":"not-the-password"}"#)
            #expect(wrong.status == 401)
            #expect(wrong.header("Content-Type") == "application/json")
            #expect(wrong.text == #"{"message":"Invalid credentials","success":false}"# + "\n")
            let unknown = try await http.request(
                .POST, "/auth/login", json: #"{"email":"nobody@example.com","password":"password"}"#)
            #expect(unknown.status == 401)
            #expect(unknown.text == wrong.text)
        }
    }

    @Test func badRegistrationsAre400AndCreateNobody() async throws {
        try await withSharedGateway { gateway, http in
            let cases: [(String, String)] = [
                (#"{"name":"a","email":"not-an-email","password":"password"}"#, "email"),
                (#"{"name":"a","email":"short@example.com","password":"short"}"#, "password"),
                (
                    #"{"name":"a","email":"long@example.com","password":"\#(String(repeating: "x", count: 73))"}"#,
                    "password"
                ),
                (#"{"name":"  ","email":"noname@example.com","password":"password"}"#, "name"),
                (#"{"email":"missing@example.com","password":"password"}"#, "name"),
                (#"{"name":"a","email":"x'; DROP TABLE users; --@example.com","password":"password"}"#, "email"),
            ]
            for (body, field) in cases {
                let response = try await http.request(.POST, "/auth/register", json: body)
                #expect(response.status == 400, "\(body)")
                #expect(try response.error().parameter == field, "\(body): \(response.text)")
            }
            for email in [
                "not-an-email", "short@example.com", "long@example.com", "noname@example.com", "missing@example.com",
            ] {
                #expect(
                    try await gateway.shop.query("gateway", "SELECT 1 FROM users WHERE email = $1", [email]).count == 0)
            }
        }
    }

    @Test func logoutRevokesTheSession() async throws {
        try await withSharedGateway { gateway, http in
            let (auth, _, email) = try await gateway.newUser(http)
            let second = try await http.request(
                .POST, "/auth/login", json: #"{"email":"\#(email)","password":"password"}"#)
            let otherAuth = ("Authorization", "Bearer \(try second.body(Gateway.LoggedIn.self).sessionID)")
            #expect(try await http.request(.POST, "/auth/logout", headers: [auth]).status == 200)
            #expect(try await http.request(.GET, "/auth/profile", headers: [auth]).status == 401)
            #expect(try await http.request(.POST, "/api/orders", headers: [auth], json: postmanOrder).status == 401)
            // Only that session: the user's other session still works.
            #expect(try await http.request(.GET, "/auth/profile", headers: [otherAuth]).status == 200)
        }
    }

    @Test func missingOrForgedTokensAre401() async throws {
        try await withSharedGateway { _, http in
            for headers in [
                [], [("Authorization", "Basic dXNlcjpwYXNz")], [("Authorization", "Bearer ")],
                [("Authorization", "Bearer ' OR '1'='1")],
                [("Authorization", "Bearer \(String(repeating: "a", count: 5000))")],
            ] {
                let response = try await http.request(.GET, "/auth/profile", headers: headers)
                #expect(response.status == 401)
                #expect(try response.error().message == "Unauthorized")
            }
        }
    }

    @Test func aSessionExpiresSixtyMinutesAfterLoginEvenWhenUsed() async throws {
        try await withGateway { gateway, http in
            let (auth, _, _) = try await gateway.newUser(http)
            gateway.advanceClock(by: 59 * 60)
            #expect(try await http.request(.GET, "/auth/profile", headers: [auth]).status == 200)
            gateway.advanceClock(by: 61)  // absolute expiry: the use a minute ago did not extend it
            let expired = try await http.request(.GET, "/auth/profile", headers: [auth])
            #expect(expired.status == 401)
            #expect(try await http.request(.GET, "/api/my-orders", headers: [auth]).status == 401)
        }
    }

    @Test func repeatedFailuresForOneEmailAreRateLimited() async throws {
        try await withSharedGateway { gateway, http in
            let (_, _, email) = try await gateway.newUser(http)
            for _ in 0..<5 {
                let response = try await http.request(
                    .POST, "/auth/login", json: #"{"email":"\#(email)","password":"wrong-password"}"#)
                #expect(response.status == 401)
            }
            // Now even the right password waits: the attacker cannot tell when they guessed it.
            let limited = try await http.request(
                .POST, "/auth/login", json: #"{"email":"\#(email)","password":"password"}"#)
            #expect(limited.status == 429)
            #expect(Int(limited.header("Retry-After") ?? "") ?? 0 > 0)
            #expect(try limited.error().success == false)
        }
    }

    @Test func repeatedFailuresFromOneClientAreRateLimited() async throws {
        try await withGateway(configure: { $0.maxFailedLoginsPerClient = 3 }) { gateway, http in
            let (_, _, email) = try await gateway.newUser(http)
            for index in 0..<3 {
                let response = try await http.request(
                    .POST, "/auth/login", json: #"{"email":"guess\#(index)@example.com","password":"password"}"#)
                #expect(response.status == 401)
            }
            let limited = try await http.request(
                .POST, "/auth/login", json: #"{"email":"\#(email)","password":"password"}"#)
            #expect(limited.status == 429)
            gateway.advanceClock(by: 301)
            #expect(
                try await http.request(.POST, "/auth/login", json: #"{"email":"\#(email)","password":"password"}"#)
                    .status == 200)
        }
    }

    @Test func aParallelBurstGetsNoMoreGuessesThanTheLimit() async throws {
        try await withGateway(configure: { $0.maxFailedLoginsPerEmail = 3 }) { gateway, http in
            let (_, _, email) = try await gateway.newUser(http)
            let port = gateway.port
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        let client = try await HTTPTestClient(port: port)
                        defer { Task { await client.close() } }
                        return try await client.request(
                            .POST, "/auth/login", json: #"{"email":"\#(email)","password":"wrong-password"}"#
                        ).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // Each attempt is counted before bcrypt runs: only three guesses were checked.
            #expect(statuses.filter { $0 == 401 }.count == 3, "\(statuses)")
            #expect(statuses.filter { $0 == 429 }.count == 9, "\(statuses)")
        }
    }

    @Test func guessesFromAnotherClientCannotLockTheOwnerOut() async throws {
        try await withGateway(configure: { $0.trustedProxies = ["127.0.0.1"] }) { gateway, http in
            let (_, _, email) = try await gateway.newUser(http)
            let attacker = ("X-Forwarded-For", "203.0.113.9")
            for _ in 0..<5 {
                #expect(
                    try await http.request(
                        .POST, "/auth/login", headers: [attacker],
                        json: #"{"email":"\#(email)","password":"nope-nope"}"#
                    ).status == 401)
            }
            #expect(
                try await http.request(
                    .POST, "/auth/login", headers: [attacker], json: #"{"email":"\#(email)","password":"password"}"#
                ).status == 429)
            // The owner, elsewhere (behind the same trusted proxy), logs in.
            let owner = ("X-Forwarded-For", "198.51.100.7, 127.0.0.1")
            #expect(
                try await http.request(
                    .POST, "/auth/login", headers: [owner], json: #"{"email":"\#(email)","password":"password"}"#
                ).status == 200)
        }
    }

    @Test func forwardedForIsIgnoredUnlessTheSocketPeerIsATrustedProxy() async throws {
        try await withGateway(configure: { $0.maxFailedLoginsPerClient = 3 }) { gateway, http in
            // Every request claims another address; none is believed, so all count against 127.0.0.1.
            for index in 0..<3 {
                let spoofed = ("X-Forwarded-For", "192.0.2.\(index)")
                let response = try await http.request(
                    .POST, "/auth/login", headers: [spoofed],
                    json: #"{"email":"g\#(index)@example.com","password":"password"}"#)
                #expect(response.status == 401)
            }
            let spoofed = ("X-Forwarded-For", "192.0.2.200")
            let limited = try await http.request(
                .POST, "/auth/login", headers: [spoofed], json: #"{"email":"g9@example.com","password":"password"}"#)
            #expect(limited.status == 429)
        }
    }

    @Test func registrationsAreRateLimitedPerClient() async throws {
        try await withGateway(configure: { $0.maxRegistrationsPerClient = 2 }) { gateway, http in
            for index in 0..<2 {
                let body =
                    #"{"name":"user1","email":"reg\#(index)-\#(UUID().uuidString.prefix(6))@example.com","password":"password"}"#
                #expect(try await http.request(.POST, "/auth/register", json: body).status == 200)
            }
            let third = try await http.request(
                .POST, "/auth/register", json: #"{"name":"user1","email":"reg3@example.com","password":"password"}"#)
            #expect(third.status == 429)
            #expect(Int(third.header("Retry-After") ?? "") ?? 0 > 0)
            let stored = try await gateway.shop.query(
                "gateway", "SELECT count(*) AS n FROM users WHERE email = 'reg3@example.com'")
            #expect(try stored.first!.int("n") == 0)
        }
    }

    @Test func passwordsAreStoredAsBcryptHashes() async throws {
        try await withSharedGateway { gateway, http in
            let (_, userID, _) = try await gateway.newUser(http)
            let hash = try await gateway.shop.query("gateway", "SELECT password FROM users WHERE id = $1", [userID])
                .first!.string("password")
            #expect(hash.hasPrefix("$2"))
            #expect(hash.contains("$10$"))
            #expect(!hash.contains("password"))
            let session = try await gateway.shop.query(
                "gateway", "SELECT token_hash FROM sessions WHERE user_id = $1", [userID])
            #expect(try session.first?.string("token_hash").count == 64)
        }
    }

    @Test func noPasswordOrTokenIsEverLogged() async throws {
        let logs = LogRecorder()
        try await withGateway(logs: logs) { gateway, http in
            let password = "s3cret-Passw0rd-\(UInt32.random(in: 0...UInt32.max))"
            let (auth, _, email) = try await gateway.newUser(http, password: password)
            _ = try await http.request(
                .POST, "/auth/login", json: #"{"email":"\#(email)","password":"wrong-\#(password)"}"#)
            _ = try await http.request(.GET, "/auth/profile", headers: [auth])
            _ = try await http.request(.POST, "/api/orders", headers: [auth], json: postmanOrder)
            _ = try await http.request(.POST, "/auth/logout", headers: [auth])
            let token = String(auth.1.dropFirst("Bearer ".count))
            let lines = logs.all
            #expect(lines.count > 5)  // the recorder saw the requests (at trace level)
            #expect(!lines.contains { $0.contains(password) })
            #expect(!lines.contains { $0.contains(token) })
        }
    }
}
