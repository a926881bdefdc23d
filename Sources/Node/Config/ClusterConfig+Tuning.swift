import ActorRuntime
import ShopActors

extension ClusterConfig {
    /// `[transport]` (and `[security] frames`): what a connection may cost before and after its handshake. Only
    /// what the file sets is held; the defaults are `ClusterSystem.Settings`' own, written there alone.
    struct Transport: Equatable {
        var maxPendingHandshakes: Int?
        var handshakeFrameBytes: Int?
        var maxOutboundMiB: Int?
        /// `[security] frames`; when absent, resolved from the node addresses once they are known.
        var frames: Wire.FrameProtection?

        func apply(to settings: inout ClusterSystem.Settings) {
            settings.frames = self.frames
            if let value = self.maxPendingHandshakes { settings.maxPendingHandshakes = value }
            if let value = self.handshakeFrameBytes { settings.limits.maxHandshakeFrameLength = value }
            if let value = self.maxOutboundMiB { settings.maxOutboundBytes = value << 20 }
        }
    }

    static func transport(_ root: inout TOMLReader) throws -> Transport {
        var transport = Transport()
        transport.frames = try Self.frames(&root)
        guard var table = try root.table("transport") else { return transport }
        transport.maxPendingHandshakes = try table.int("max_pending_handshakes", in: 1...100_000)
        transport.handshakeFrameBytes = try table.int("handshake_frame_bytes", in: 512...65_536)
        transport.maxOutboundMiB = try table.int("max_outbound_mib", in: 1...4096)
        try table.finish()
        return transport
    }

    /// `[security]`: how frames are protected after the handshake.
    static func frames(_ root: inout TOMLReader) throws -> Wire.FrameProtection? {
        guard var table = try root.table("security") else { return nil }
        var frames: Wire.FrameProtection?
        if let name = try table.string("frames") {
            guard let mode = Wire.FrameProtection(name: name) else {
                throw ConfigError(
                    table.key("frames"), "must be \"plain\", \"authenticated\" or \"encrypted\", not \"\(name)\"")
            }
            frames = mode
        }
        try table.finish()
        return frames
    }

    /// `[mailbox]`, `[saga]`, `[failover]` and `[payment]`.
    static func options(_ root: inout TOMLReader) throws -> ServiceOptions {
        var options = ServiceOptions()
        if var mailbox = try root.table("mailbox") {
            if let value = try mailbox.int("batch_size", in: 1...100_000) { options.mailbox.batchSize = value }
            if let value = try mailbox.int("poll_interval_ms", in: 10...600_000) {
                options.mailbox.pollInterval = .milliseconds(value)
            }
            if let value = try mailbox.int("delivery_timeout_ms", in: 100...600_000) {
                options.mailbox.deliveryTimeout = .milliseconds(value)
            }
            if let value = try mailbox.int("max_attempts", in: 1...1000) { options.mailbox.maxAttempts = value }
            if let value = try mailbox.int("retention_hours", in: 1...87_600) {
                options.mailbox.retention = .seconds(value * 3600)
            }
            try mailbox.finish()
        }
        if var saga = try root.table("saga") {
            if let value = try saga.int("step_deadline_seconds", in: 1...86_400) {
                options.saga.stepDeadline = .seconds(value)
            }
            if let value = try saga.int("compensation_retry_ms", in: 10...600_000) {
                options.saga.compensationRetry = .milliseconds(value)
            }
            try saga.finish()
        }
        if var failover = try root.table("failover") {
            var lease = ServiceLease.Configuration()
            if let value = try failover.int("lease_timeout_seconds", in: 2...300) { lease.timeout = .seconds(value) }
            if let value = try failover.int("standby_retry_ms", in: 100...60_000) {
                lease.retryInterval = .milliseconds(value)
            }
            try failover.finish()
            options.lease = lease
        }
        if var payment = try root.table("payment") {
            if let value = try payment.bool("shared_demo_methods") { options.sharedDemoMethods = value }
            try payment.finish()
        }
        return options
    }

    /// `[gateway]`: the HTTP side's limits (its addresses are `nodes.NAME.http` and `ops_http`).
    static func gateway(_ root: inout TOMLReader) throws -> GatewayConfiguration {
        var gateway = GatewayConfiguration()
        guard var table = try root.table("gateway") else { return gateway }
        if let value = try table.int("session_minutes", in: 1...43_200) {
            gateway.sessionLifetime = .seconds(value * 60)
        }
        if let value = try table.int("bcrypt_cost", in: 10...16) { gateway.bcryptCost = UInt8(value) }
        if let value = try table.int("max_body_bytes", in: 1024...16_777_216) { gateway.maxBodyBytes = value }
        if let value = try table.int("max_failed_logins_per_email", in: 1...10_000) {
            gateway.maxFailedLoginsPerEmail = value
        }
        if let value = try table.int("max_failed_logins_per_client", in: 1...1_000_000) {
            gateway.maxFailedLoginsPerClient = value
        }
        if let value = try table.int("max_registrations_per_client", in: 1...10_000_000) {
            gateway.maxRegistrationsPerClient = value
        }
        if let value = try table.strings("trusted_proxies") {
            guard value.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 64 && !$0.contains(",") }) else {
                throw ConfigError(table.key("trusted_proxies"), "must be a list of IP addresses")
            }
            gateway.trustedProxies = Set(value)
        }
        if let value = try table.int("max_orders_in_flight", in: 0...10_000_000) { gateway.maxOrdersInFlight = value }
        if let value = try table.int("retry_after_seconds", in: 1...3600) { gateway.retryAfter = .seconds(value) }
        if let value = try table.int("stuck_after_seconds", in: 1...86_400) { gateway.stuckAfter = .seconds(value) }
        if let value = try table.int("reconcile_interval_seconds", in: 1...3600) {
            gateway.reconcileInterval = .seconds(value)
        }
        try table.finish()
        return gateway
    }
}

extension TOMLReader {
    mutating func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = try self.int(name) else { return nil }
        guard range.contains(value) else {
            throw ConfigError(self.key(name), "must be from \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
        return value
    }
}
