import ActorRuntime

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

    public init() {}

    func apply(to configuration: inout Mailbox.Configuration) {
        configuration.batchSize = self.batchSize
        configuration.pollInterval = self.pollInterval
        configuration.deliveryTimeout = self.deliveryTimeout
        configuration.maxAttempts = self.maxAttempts
        configuration.retention = self.retention
    }
}
