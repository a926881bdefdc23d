import Foundation
import Hummingbird
import HummingbirdAuth

/// Finds the live session of a request's `Authorization: Bearer <token>` (hummingbird-auth's authenticator
/// middleware; the routes that need a session sit behind it, and answer 401 without one).
struct BearerSessionAuthenticator: AuthenticatorMiddleware {
    typealias Context = GatewayRequestContext
    let sessions: SessionStore

    func authenticate(request: Request, context: Context) async throws -> Session? {
        guard let token = Self.token(request) else { return nil }
        return try await self.sessions.find(token: token)
    }

    /// The bearer token when it has a plausible shape (tokens are 43 characters; a huge header is not looked up).
    static func token(_ request: Request) -> String? {
        guard let bearer = request.headers.bearer else { return nil }
        let token = bearer.token.trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, token.utf8.count <= 256 else { return nil }
        return token
    }
}
