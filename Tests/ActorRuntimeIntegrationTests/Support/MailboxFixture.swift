import ActorRuntime
import ActorRuntimeTestSupport
import Foundation
import Testing

/// Two nodes on real TCP, `a` hosting service `alpha` and `b` hosting `beta`, each service with its own
/// fresh database on the test Postgres server, running the Ledger handler.
final class MailboxFixture: @unchecked Sendable {
    // Mutated only by the test that owns the fixture, between awaits.
    var a: ClusterSystem
    var b: ClusterSystem
    let alphaURL: String
    let betaURL: String
    let alphaDB: PostgresClient
    let betaDB: PostgresClient
    let switches = Ledger.Switches()
    var alpha: Mailbox
    var beta: Mailbox
    private var runs: [String: Task<Void, any Error>] = [:]
    let tune: @Sendable (inout Mailbox.Configuration) -> Void

    static let directory = ["alpha": "a", "beta": "b"]

    init(
        server: EmbeddedPostgres? = nil,
        tune: @escaping @Sendable (inout Mailbox.Configuration) -> Void = { _ in },
        nodeA: (inout ClusterSystem.Settings) -> Void = { _ in }
    ) async throws {
        let database: EmbeddedPostgres
        if let server { database = server } else { database = try await TestPostgres.server }
        self.tune = tune
        self.alphaURL = try await database.ensureDatabase("alpha_\(UInt32.random(in: 0...UInt32.max))")
        self.betaURL = try await database.ensureDatabase("beta_\(UInt32.random(in: 0...UInt32.max))")
        self.alphaDB = TestPostgres.client(self.alphaURL)
        self.betaDB = TestPostgres.client(self.betaURL)
        var settingsA = TestSettings.cluster("a")
        nodeA(&settingsA)
        self.a = ClusterSystem(settings: settingsA)
        self.b = ClusterSystem(settings: TestSettings.cluster("b", port: TestSettings.restartablePort()))
        try await self.a.start()
        try await self.b.start()
        self.a.addPeer(self.b.boundAddress!)
        self.b.addPeer(self.a.boundAddress!)
        try await self.a.waitForMembers(["b"])
        self.alpha = Self.makeMailbox("alpha", self.alphaDB, self.a, self.switches, tune)
        self.beta = Self.makeMailbox("beta", self.betaDB, self.b, self.switches, tune)
        for (mailbox, client) in [(self.alpha, self.alphaDB), (self.beta, self.betaDB)] {
            try await MailboxSchema.migrate(service: mailbox.service, client: client, logger: TestSettings.quietLogger)
            try await MigrationRunner.apply(Ledger.schema, namespace: "ledger", client: client)
        }
    }

    static func makeMailbox(
        _ service: String,
        _ client: PostgresClient,
        _ system: ClusterSystem,
        _ switches: Ledger.Switches,
        _ tune: (inout Mailbox.Configuration) -> Void
    ) -> Mailbox {
        var configuration = Mailbox.Configuration(service: service, directory: ServiceDirectory(Self.directory))
        configuration.retryBackoff.initial = .milliseconds(20)
        configuration.retryBackoff.maximum = .milliseconds(200)
        configuration.deliveryTimeout = .seconds(2)
        tune(&configuration)
        return Mailbox(
            configuration: configuration, client: client, system: system, handler: Ledger(switches: switches),
            logger: TestSettings.quietLogger)
    }

    func start(_ mailbox: Mailbox) {
        self.runs[mailbox.service] = Task { try await mailbox.run() }
    }

    func stop(_ service: String) async {
        guard let run = self.runs.removeValue(forKey: service) else { return }
        run.cancel()
        _ = await run.result
    }

    /// A new mailbox object for `service` on the same database and node, as after a process restart.
    func recreate(_ service: String) -> Mailbox {
        let mailbox =
            service == "alpha"
            ? Self.makeMailbox("alpha", self.alphaDB, self.a, self.switches, self.tune)
            : Self.makeMailbox("beta", self.betaDB, self.b, self.switches, self.tune)
        if service == "alpha" { self.alpha = mailbox } else { self.beta = mailbox }
        return mailbox
    }

    func shutdown() async {
        for service in Array(self.runs.keys) { await self.stop(service) }
        await self.a.shutdown()
        await self.b.shutdown()
        self.alphaDB.shutdown()
        self.betaDB.shutdown()
    }

    // MARK: Observations

    func balance(_ client: PostgresClient, _ account: String) async throws -> Int {
        try await client.query("SELECT balance FROM accounts WHERE name = $1", [account]).first?.int("balance") ?? 0
    }

    func applied(_ client: PostgresClient) async throws -> [(id: String, note: String?)] {
        try await client.query("SELECT message_id, note FROM applied ORDER BY seq").rows.map {
            (try $0.string("message_id"), try $0.optionalString("note"))
        }
    }

    func pending(_ client: PostgresClient) async throws -> Int {
        try await client.query("SELECT count(*) AS n FROM outbox WHERE status = 0").first?.int("n") ?? 0
    }

    /// Beta's endpoint as node `a` reaches it, to deliver batches by hand.
    func betaEndpoint() throws -> MailboxEndpoint {
        try MailboxEndpoint.resolve(id: ActorID(node: "b", path: MailboxEndpoint.path(for: "beta")), using: self.a)
    }

    /// A batch from alpha to beta with one `Credit` of `amount` to `account`.
    static func credit(id: String, account: String, amount: Int) -> DeliveryBatch {
        let payload = #"{"account":"\#(account)","amount":\#(amount)}"#
        return DeliveryBatch(
            source: "alpha", destination: "beta",
            messages: [MailboxMessage(id: id, type: "Credit", sagaID: nil, payload: payload, source: "alpha")])
    }

    /// Polls `condition` until it holds (the shared `eventually`).
    func eventually(
        _ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool
    ) async throws {
        try await ActorRuntimeTestSupport.eventually(what, timeout: timeout, condition)
    }
}

/// Runs `body` with a fixture and always shuts it down.
func withMailboxes(
    server: EmbeddedPostgres? = nil,
    tune: @escaping @Sendable (inout Mailbox.Configuration) -> Void = { _ in },
    nodeA: (inout ClusterSystem.Settings) -> Void = { _ in },
    _ body: (MailboxFixture) async throws -> Void
) async throws {
    let fixture = try await MailboxFixture(server: server, tune: tune, nodeA: nodeA)
    do {
        try await body(fixture)
    } catch {
        await fixture.shutdown()
        throw error
    }
    await fixture.shutdown()
}
