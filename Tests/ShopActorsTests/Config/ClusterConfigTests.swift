import ActorRuntime
import Foundation
import ShopActors
import Testing

@testable import Node

@Suite struct ClusterConfigTests {
    static let valid = """
        cluster = "shop"
        secret = "0123456789abcdef0123"
        [nodes.a]
        address = "127.0.0.1:7001"
        services = ["gateway", "product", "inventory"]
        http = "127.0.0.1:8081"
        [nodes.b]
        address = "127.0.0.1:7002"
        services = ["payment", "order", "order-saga", "order-history"]
        """

    @Test func parsesTheShippedFile() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../../cluster.conf")
        let config = try ClusterConfig.load(path: url.path)
        #expect(config.cluster == "shop")
        #expect(config.nodes.map(\.name) == ["edge", "orders", "stock"])
        #expect(config.node(named: "edge")?.http == .init(host: "127.0.0.1", port: 8081))
        #expect(config.node(named: "edge")?.opsHTTP == .init(host: "127.0.0.1", port: 8082))
        #expect(config.node(named: "orders")?.services == ["order", "order-saga", "order-history"])
        #expect(config.node(named: "stock")?.services == ["product", "inventory", "payment"])
        #expect(config.usesDevelopmentSecret)
        // The shipped file spells out the defaults, and turns the shared demo payment methods on.
        var expected = ServiceOptions()
        expected.sharedDemoMethods = true
        #expect(config.options == expected)
        #expect(config.gateway == GatewayConfiguration())
        #expect(config.transport.frames == .plain)  // every node on loopback
        let defaults = ClusterSystem.Settings(node: "edge", secret: "0123456789abcdef0123")
        var settings = defaults
        config.transport.apply(to: &settings)
        #expect(
            settings.maxPendingHandshakes == defaults.maxPendingHandshakes
                && settings.limits.maxHandshakeFrameLength == defaults.limits.maxHandshakeFrameLength
                && settings.maxOutboundBytes == defaults.maxOutboundBytes)
    }

    @Test func framesAreEncryptedBeyondLoopbackUnlessTheFileSaysOtherwise() throws {
        let exposed = Self.valid.replacingOccurrences(
            of: "0123456789abcdef0123", with: "0123456789abcdef0123456789abcdef"
        )
        .replacingOccurrences(of: "127.0.0.1:7002", with: "10.0.0.6:7002")
        #expect(try ClusterConfig.parse(Self.valid).transport.frames == .plain)
        #expect(try ClusterConfig.parse(exposed).transport.frames == .encrypted)
        let authenticated = try ClusterConfig.parse(exposed + "\n[security]\nframes = \"authenticated\"\n")
        #expect(authenticated.transport.frames == .authenticated)
        var settings = ClusterSystem.Settings(node: "a", secret: authenticated.secret)
        authenticated.transport.apply(to: &settings)
        #expect(settings.frameProtection == .authenticated)
        #expect(
            try ClusterConfig.parse(Self.valid + "\n[security]\nframes = \"encrypted\"\n").transport.frames
                == .encrypted)
        #expect(throws: ConfigError.self) { try ClusterConfig.parse(Self.valid + "\n[security]\nframes = \"rot13\"\n") }
        #expect(throws: ConfigError.self) { try ClusterConfig.parse(Self.valid + "\n[security]\nframe = \"plain\"\n") }
    }

    @Test func twoServicesOnOneDatabaseAreRefused() throws {
        let shared =
            Self.valid + """

                [postgres.urls]
                "order" = "postgresql://shop@db.internal:5432/shop"
                "order-history" = "postgresql://reader@DB.internal/shop?sslmode=require"
                """
        #expect(throws: ConfigError.self) { try ClusterConfig.parse(shared) }
        let separate = shared.replacingOccurrences(of: "DB.internal/shop?", with: "db.internal/history?")
        #expect(try ClusterConfig.parse(separate).postgres.urls.count == 2)
    }

    @Test func aServiceOnSeveralNodesIsAcceptedAndFailoverIsTunable() throws {
        let standby = Self.valid.replacingOccurrences(of: "\"payment\", ", with: "\"payment\", \"product\", ")
        let config = try ClusterConfig.parse(standby)
        #expect(config.nodes.filter { $0.services.contains("product") }.map(\.name) == ["a", "b"])
        #expect(config.options.lease == ServiceLease.Configuration())  // 6 s, standbys try every second
        let tuned = try ClusterConfig.parse(
            standby + "\n[failover]\nlease_timeout_seconds = 4\nstandby_retry_ms = 250\n")
        #expect(
            tuned.options.lease == ServiceLease.Configuration(timeout: .seconds(4), retryInterval: .milliseconds(250)))
    }

    @Test func readsTransportLimits() throws {
        let config = try ClusterConfig.parse(
            Self.valid
                + "\n[transport]\nmax_pending_handshakes = 8\nhandshake_frame_bytes = 1024\nmax_outbound_mib = 16\n")
        var settings = ClusterSystem.Settings(node: "a", secret: "0123456789abcdef0123")
        config.transport.apply(to: &settings)
        #expect(
            settings.maxPendingHandshakes == 8 && settings.limits.maxHandshakeFrameLength == 1024
                && settings.maxOutboundBytes == 16 << 20)
        #expect(throws: ConfigError.self) {
            try ClusterConfig.parse(Self.valid + "\n[transport]\nmax_pending_handshakes = 0\n")
        }
        // Keys the file leaves out keep the runtime's defaults.
        let defaults = ClusterSystem.Settings(node: "a", secret: "0123456789abcdef0123")
        var untouched = defaults
        try ClusterConfig.parse(Self.valid + "\n[transport]\nmax_outbound_mib = 16\n").transport.apply(to: &untouched)
        #expect(
            untouched.maxPendingHandshakes == defaults.maxPendingHandshakes
                && untouched.limits.maxHandshakeFrameLength == defaults.limits.maxHandshakeFrameLength
                && untouched.maxOutboundBytes == 16 << 20)
    }

    @Test func beyondLoopbackTheDevelopmentSecretAndShortSecretsAreRefused() throws {
        let exposed = { (secret: String) in
            """
            cluster = "shop"
            secret = "\(secret)"
            [nodes.a]
            address = "10.0.0.5:7001"
            services = ["gateway", "product", "inventory", "payment", "order", "order-saga", "order-history"]
            http = "127.0.0.1:8081"
            """
        }
        #expect(throws: ConfigError.self) { try ClusterConfig.parse(exposed(ClusterConfig.developmentSecret)) }
        // 31 bytes
        #expect(throws: ConfigError.self) { try ClusterConfig.parse(exposed("0123456789abcdef0123456789abcde")) }
        #expect(try ClusterConfig.parse(exposed("0123456789abcdef0123456789abcdef")).nodes.count == 1)
        // On loopback the development secret still starts (with a warning), as the shipped file does.
        #expect(
            try ClusterConfig.parse(
                Self.valid.replacingOccurrences(of: "0123456789abcdef0123", with: ClusterConfig.developmentSecret)
            ).usesDevelopmentSecret)
    }

    @Test func nodeSecretMakesThirtyTwoRandomBytesThatAnExposedClusterAccepts() throws {
        let (one, two) = (SecretCommand.make(), SecretCommand.make())
        #expect(Data(base64Encoded: one)?.count == 32)
        #expect(one != two)
        let config = Self.valid.replacingOccurrences(of: "0123456789abcdef0123", with: one)
            .replacingOccurrences(of: "127.0.0.1:7001", with: "10.0.0.5:7001")
        #expect(try ClusterConfig.parse(config).secret == one)
    }

    @Test func sharedDemoPaymentMethodsAreOffUnlessConfigured() throws {
        #expect(try ClusterConfig.parse(Self.valid).options.sharedDemoMethods == false)
        #expect(
            try ClusterConfig.parse(Self.valid + "\n[payment]\nshared_demo_methods = true\n").options.sharedDemoMethods)
        #expect(throws: ConfigError.self) {
            try ClusterConfig.parse(Self.valid + "\n[payment]\nshared_demo_methods = \"yes\"\n")
        }
        #expect(throws: ConfigError.self) {
            try ClusterConfig.parse(Self.valid + "\n[payment]\nshared_methods = true\n")
        }
    }

    @Test func readsMailboxSagaAndGatewaySettings() throws {
        let config = try ClusterConfig.parse(
            Self.valid + """

                [mailbox]
                batch_size = 50
                poll_interval_ms = 250
                max_attempts = 3
                [saga]
                step_deadline_seconds = 5
                [gateway]
                session_minutes = 15
                bcrypt_cost = 12
                """)
        #expect(config.options.mailbox.batchSize == 50)
        #expect(config.options.mailbox.pollInterval == .milliseconds(250))
        #expect(config.options.mailbox.maxAttempts == 3)
        #expect(config.options.saga.stepDeadline == .seconds(5))
        #expect(config.options.saga.compensationRetry == .seconds(1))
        let gateway = config.gateway
        #expect(gateway.sessionLifetime == .seconds(900))
        #expect(gateway.bcryptCost == 12)
    }

    @Test func readsPostgresSettings() throws {
        let text =
            Self.valid + """

                [postgres]
                embedded_port = 6000
                [postgres.urls]
                order = "postgresql://order@db:5432/order"
                """
        let config = try ClusterConfig.parse(text)
        #expect(config.postgres.embeddedPort == 6000)
        #expect(config.postgres.urls == ["order": "postgresql://order@db:5432/order"])
        #expect(throws: ConfigError("postgres.urls.shipping", "unknown service 'shipping'")) {
            try ClusterConfig.parse(Self.valid + "\n[postgres.urls]\nshipping = \"postgresql://x\"")
        }
        #expect(throws: ConfigError("postgres.port", "unknown key")) {
            try ClusterConfig.parse(Self.valid + "\n[postgres]\nport = 1")
        }
    }

    @Test func readsTheSecretFromTheEnvironment() throws {
        let text = Self.valid.replacingOccurrences(of: "secret = \"0123456789abcdef0123\"", with: "secret_env = \"S\"")
        #expect(
            try ClusterConfig.parse(text, environment: ["S": "from-the-environment!"]).secret == "from-the-environment!"
        )
        #expect(throws: ConfigError("secret_env", "environment variable S is not set")) {
            try ClusterConfig.parse(text, environment: [:])
        }
    }

    @Test(arguments: [
        ("cluster = \"shop\"\n[nodes.a\n", ""),
        ("colour = \"blue\"\n" + valid, "colour"),
        (valid.replacingOccurrences(of: "http = ", with: "htpp = "), "nodes.a.htpp"),
        (valid.replacingOccurrences(of: "\"payment\", ", with: ""), "nodes"),
        (valid.replacingOccurrences(of: "\"payment\", ", with: "\"payment\", \"payment\", "), "nodes.b.services"),
        (valid + "\n[failover]\nlease_timeout_seconds = 1\n", "failover.lease_timeout_seconds"),
        (valid + "\n[failover]\nlease = 5\n", "failover.lease"),
        (valid.replacingOccurrences(of: "7002", with: "7001"), "nodes.b.address"),
        (valid.replacingOccurrences(of: "127.0.0.1:7002", with: "localhost"), "nodes.b.address"),
        (valid.replacingOccurrences(of: "\"order\",", with: "\"orders\","), "nodes.b.services"),
        (valid.replacingOccurrences(of: "secret = \"0123456789abcdef0123\"", with: ""), "secret"),
        (valid.replacingOccurrences(of: "[\"gateway\", \"product\", \"inventory\"]", with: "3"), "nodes.a.services"),
        (valid + "\n[saga]\nstep_deadline_seconds = 0\n", "saga.step_deadline_seconds"),
        (valid + "\n[saga]\ndeadline = 3\n", "saga.deadline"),
        (valid + "\n[mailbox]\nbatch_size = \"big\"\n", "mailbox.batch_size"),
        (valid + "\n[gateway]\nbcrypt_cost = 4\n", "gateway.bcrypt_cost"),
        (valid + "\n[gateway]\nport = 80\n", "gateway.port"),
    ])
    func badConfigNamesTheKey(text: String, key: String) {
        do {
            _ = try ClusterConfig.parse(text)
            Issue.record("accepted a bad config (expected a problem with '\(key)')")
        } catch let error as ConfigError {
            #expect(error.key == key, "\(error)")
            #expect(!error.problem.isEmpty)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
