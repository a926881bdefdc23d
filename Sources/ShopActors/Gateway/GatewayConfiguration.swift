import Foundation

/// How the gateway's HTTP side behaves. The defaults are the original's (port 8081, 60-minute sessions,
/// bcrypt cost 10) plus the limits the original lacked.
public struct GatewayConfiguration: Sendable, Equatable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests); the bound port is reported by `Gateway.run(onListening:)`.
    public var port = 8081
    /// The operations listener (`/metrics`, `/ui`, `/ui/cluster.json`, `/health`), apart from the public one,
    /// which then answers 404 for those paths. Without it they are served on the public listener only when
    /// that is bound to loopback, and not at all otherwise.
    public var opsHost: String?
    public var opsPort = 0
    /// Absolute session lifetime (not sliding), as in the original.
    public var sessionLifetime: Duration = .seconds(3600)
    /// bcrypt cost; 10 is the original's (about 50–100 ms per hash here).
    public var bcryptCost: UInt8 = 10
    /// Largest request body accepted; bigger ones get 413 before they are read in full.
    public var maxBodyBytes = 64 * 1024
    /// Failed logins allowed per email, and per client address, within `loginWindow`; then 429.
    public var maxFailedLoginsPerEmail = 5
    public var maxFailedLoginsPerClient = 50
    public var loginWindow: Duration = .seconds(300)
    /// Registrations allowed per client address within `loginWindow`; then 429.
    public var maxRegistrationsPerClient = 30
    /// Peers whose `X-Forwarded-For` names the client (a load balancer in front); nobody else's is read.
    public var trustedProxies: Set<String> = []
    /// Deadline of each read call to a backend service (products, history, sagas).
    public var readTimeout: Duration = .seconds(3)
    /// Orders in flight (accepted, not yet completed or compensated) past which `POST /api/orders` answers 503
    /// with `Retry-After`, so that accepted orders finish within their step deadlines; 0 never sheds.
    public var maxOrdersInFlight = 2000
    /// The `Retry-After` of a shed order.
    public var retryAfter: Duration = .seconds(1)
    /// An accepted order whose saga has not been seen after this long is looked into by the reconciler.
    public var stuckAfter: Duration = .seconds(60)
    /// How often the reconciler runs.
    public var reconcileInterval: Duration = .seconds(10)
    /// How often the orders in flight are counted.
    public var admissionSampleInterval: Duration = .milliseconds(200)

    public init() {}
}

extension Duration {
    var timeInterval: TimeInterval {
        Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18
    }
}
