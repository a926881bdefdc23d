import Hummingbird
import NIOCore

/// Per-request state: the client's address (for rate limits and the session record) and, behind the session
/// middleware, the session.
public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP as seen on the socket. Forwarding headers are not trusted: anyone can send them, and the
    /// login rate limit must not be that easy to dodge.
    public let clientAddress: String
    var session: Session?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// The session of an authenticated route (the session middleware guarantees one).
    func requireSession() throws -> Session {
        guard let session = self.session else { throw GatewayError.unauthorized }
        return session
    }
}
