import ActorRuntime
import Foundation

/// How a node runs its services (cluster.conf `[mailbox]`, `[saga]`, `[failover]`, `[payment]`): each
/// component's own configuration, decoded once, with that component's defaults.
public struct ServiceOptions: Sendable, Equatable {
    /// Every mailbox's tuning (`[mailbox]`).
    public var mailbox = Mailbox.Tuning()
    /// The saga's deadlines and compensation retries (`[saga]`).
    public var saga = OrderSaga.Configuration()

    /// The lease that lets one node run the service while others listed for it stand by (cluster.conf
    /// `[failover]`); nil runs the service without one (tests that host a single instance).
    public var lease: ServiceLease.Configuration? = ServiceLease.Configuration()

    /// Whether the original's seed payment methods (`method-1`, `method-2`, `method-fail`) pay for every
    /// user (cluster.conf `[payment] shared_demo_methods`). Off unless configured; the shipped file turns it on.
    public var sharedDemoMethods = false

    /// Fault-injection switch for tests (never for production): handlers fail every message of these types
    /// (dead letters). The mailbox's own switches are `mailbox.deliverTwice` and `mailbox.deliverReordered`.
    public var failingMessageTypes: Set<String> = []

    public init() {}

    /// Reads the fault-injection switches from `SHOP_FAULTS` (comma-separated: `deliver-twice`, `reorder`,
    /// `fail-payments`: every `ProcessPayment` fails in the payment service).
    ///
    /// - Returns: the switches it turned on.
    public mutating func applyFaultSwitches(_ environment: [String: String]) -> [String] {
        let switches = (environment["SHOP_FAULTS"] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        if switches.contains("deliver-twice") { self.mailbox.deliverTwice = true }
        if switches.contains("reorder") { self.mailbox.deliverReordered = true }
        if switches.contains("fail-payments") { self.failingMessageTypes.insert(Commands.ProcessPayment.commandType) }
        return switches.filter { ["deliver-twice", "reorder", "fail-payments"].contains($0) }
    }
}
