import Hummingbird
import HummingbirdAuth
import NIOCore

/// Per-request state: the client's address, for login rate limits and the session record, and the session
/// `BearerSessionAuthenticator` found for routes that need one.
public struct GatewayRequestContext: AuthRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP as seen on the socket. Forwarding headers are not trusted: anyone can send them, and the
    /// login rate limit must not be that easy to dodge.
    public let clientAddress: String
    /// The live session of the request's bearer token, on routes behind the authenticator.
    public var identity: Session?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}
