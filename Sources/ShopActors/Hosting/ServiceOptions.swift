import ActorRuntime
import Foundation

/// Tunables of the services a node hosts (cluster.conf `[mailbox]` and `[saga]`), with the defaults.
public struct ServiceOptions: Sendable, Equatable {
    /// Messages per delivery call.
    public var batchSize = 1000
    /// How often relays look for rows when nothing woke them (rows written by other processes, timers).
    public var pollInterval: Duration = .seconds(1)
    /// Deadline of one delivery call.
    public var deliveryTimeout: Duration = .seconds(10)
    /// Handler failures after which a message is a dead letter.
    public var maxAttempts = 5
    /// How long delivered messages and inbox ids are kept (the dedupe window).
    public var retention: Duration = .seconds(7 * 24 * 3600)
    /// How long a saga step may go unanswered before it counts as failed and is compensated.
    public var sagaStepDeadline: Duration = .seconds(30)
    /// First wait before a failed compensation is retried (it then backs off).
    public var sagaCompensationRetry: Duration = .seconds(1)

    /// The lease that lets one node run the service while others listed for it stand by (cluster.conf
    /// `[failover]`); nil runs the service without one (tests that host a single instance).
    public var lease: ServiceLease.Configuration? = ServiceLease.Configuration()

    /// Whether the original's seed payment methods (`method-1`, `method-2`, `method-fail`) pay for every
    /// user (cluster.conf `[payment] shared_demo_methods`). Off unless configured; the shipped file turns it on.
    public var sharedDemoMethods = false

    /// Fault-injection switches for tests (never for production): every batch delivered twice, or in reverse.
    public var deliverTwice = false
    public var deliverReordered = false
    /// Fault-injection switch for tests: handlers fail every message of these types (dead letters).
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
        if switches.contains("deliver-twice") { self.deliverTwice = true }
        if switches.contains("reorder") { self.deliverReordered = true }
        if switches.contains("fail-payments") { self.failingMessageTypes.insert("ProcessPayment") }
        return switches.filter { ["deliver-twice", "reorder", "fail-payments"].contains($0) }
    }

    func apply(to configuration: inout Mailbox.Configuration) {
        configuration.batchSize = self.batchSize
        configuration.pollInterval = self.pollInterval
        configuration.deliveryTimeout = self.deliveryTimeout
        configuration.maxAttempts = self.maxAttempts
        configuration.retention = self.retention
        configuration.deliverTwice = self.deliverTwice
        configuration.deliverReordered = self.deliverReordered
        configuration.leased = self.lease != nil
    }
}
