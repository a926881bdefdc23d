import Foundation
import HTTPTypes
import Hummingbird
import Logging

extension Gateway {
    struct RegisterRequest: Decodable {
        var name: String
        var email: String
        var password: String
    }

    struct LoginRequest: Decodable {
        var email: String
        var password: String
    }

    func addAuthRoutes(to routes: inout [(HTTPRequest.Method, String, Handler)]) {
        routes.append((.post, "/auth/register", { request, context in try await self.register(request, context) }))
        routes.append((.post, "/auth/login", { request, context in try await self.login(request, context) }))
        routes.append(
            (
                .post, "/auth/logout",
                self.authenticated { _, _, session in
                    try await self.sessions.revoke(session)
                    return JSONResponse.make(Done(message: "Logout successful"))
                }
            ))
        routes.append(
            (
                .get, "/auth/profile",
                self.authenticated { _, _, session in
                    guard let user = try await self.users.find(id: session.userID) else {
                        throw GatewayError.unauthorized
                    }
                    return JSONResponse.make(
                        Profile(
                            email: user.email, loggedIn: Timestamps.rfc3339(session.createdAt), name: user.name,
                            userID: user.id))
                }
            ))
    }

    func register(_ request: Request, _ context: Context) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(RegisterRequest.self, limit: self.configuration.maxBodyBytes)
        let name = try Credentials.checkName(body.name)
        let email = try Credentials.normalisedEmail(body.email)
        try Credentials.checkPassword(body.password)
        // Per client: each registration costs a bcrypt hash and a row.
        let client = self.clientAddress(request, context)
        if let wait = self.limiter.begin([("register:\(client)", self.configuration.maxRegistrationsPerClient)]) {
            throw Self.tooMany("Too many registrations from this address; try again in \(wait) s", wait: wait)
        }
        // Checked before hashing so a taken email costs no bcrypt; the unique index still decides races.
        guard try await !self.users.exists(email: email) else { throw GatewayError(.conflict, "User already exists") }
        let user = User(
            id: UUID().uuidString.lowercased(), name: name, email: email,
            passwordHash: try await self.hasher.hash(body.password))
        guard try await self.users.insert(user) else { throw GatewayError(.conflict, "User already exists") }
        self.logger.info("user registered", metadata: ["user_id": "\(user.id)"])
        return JSONResponse.make(Registered(userID: user.id))
    }

    func login(_ request: Request, _ context: Context) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(LoginRequest.self, limit: self.configuration.maxBodyBytes)
        // A malformed email cannot belong to anyone: the same answer as a wrong password.
        guard let email = try? Credentials.normalisedEmail(body.email) else { throw GatewayError.invalidCredentials }
        let client = self.clientAddress(request, context)
        // The email's limit is per client address: guesses from elsewhere cannot lock its owner out. The
        // attempt is counted before bcrypt runs, so a parallel burst gets no more guesses than the limit.
        let emailKey = "email:\(email)@\(client)"
        let clientKey = "client:\(client)"
        if let wait = self.limiter.begin([
            (emailKey, self.configuration.maxFailedLoginsPerEmail),
            (clientKey, self.configuration.maxFailedLoginsPerClient),
        ]) {
            throw Self.tooMany("Too many failed login attempts; try again in \(wait) s", wait: wait)
        }
        let user = try await self.users.find(email: email)
        guard try await self.hasher.verify(body.password, hash: user?.passwordHash), let user else {
            throw GatewayError.invalidCredentials
        }
        self.limiter.succeeded(clear: [emailKey], refund: [clientKey])
        let (token, _) = try await self.sessions.create(
            userID: user.id, ipAddress: client, userAgent: request.headers[.userAgent] ?? "")
        self.logger.info("user logged in", metadata: ["user_id": "\(user.id)"])
        return JSONResponse.make(LoggedIn(userID: user.id, sessionID: token))
    }
}

extension Gateway {
    static func tooMany(_ message: String, wait: Int) -> GatewayError {
        var error = GatewayError(.tooManyRequests, message)
        error.headers[.retryAfter] = "\(wait)"
        return error
    }

    /// The client's address: the socket's peer, or, when that peer is a configured trusted proxy, the
    /// nearest address in `X-Forwarded-For` that is not one of them (anyone else can write that header).
    func clientAddress(_ request: Request, _ context: Context) -> String {
        let trusted = self.configuration.trustedProxies
        guard trusted.contains(context.clientAddress), let header = request.headers[HTTPField.Name("X-Forwarded-For")!]
        else {
            return context.clientAddress
        }
        let hops = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.last(where: { !trusted.contains($0) }).map { String($0.prefix(64)) } ?? context.clientAddress
    }
}
