import ActorRuntime
import ActorRuntimeTestSupport
import Foundation
import Testing

@Suite struct MailboxDatabaseRestartTests {
    /// A server of its own: restarting the shared one would disturb the tests running beside this one.
    @Test func aPostgresRestartMidStreamLosesAndDoublesNothing() async throws {
        var configuration = EmbeddedPostgres.Configuration()
        configuration.directory = ".data/test-postgres-restart"
        if let running = EmbeddedPostgres.runningPort(directory: configuration.directory) {
            configuration.port = running
        } else {
            configuration.port = try await TestSettings.freePort()
        }
        let server = EmbeddedPostgres(configuration: configuration)
        try await server.start()

        try await withMailboxes(server: server) { f in
            f.start(f.alpha)
            f.start(f.beta)
            let total = 120
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for i in 0..<total {
                        // The same id on every retry: a commit whose answer was lost is not queued twice.
                        let message = Ledger.credit(
                            Ledger.Credit(account: "acct", amount: 1, note: "\(i)"), id: "m-\(i)")
                        while true {
                            do {
                                try await f.alpha.transaction { turn in try turn.send(message, to: "beta") }
                                break
                            } catch let error as PostgresError where error.isTransient {
                                try await Task.sleep(for: .milliseconds(50))
                            }
                        }
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
                group.addTask {
                    try await f.eventually("some delivered") { try await f.balance(f.betaDB, "acct") > 20 }
                    try await server.restart()
                }
                try await group.waitForAll()
            }
            try await f.eventually("all delivered", timeout: .seconds(30)) {
                (try? await f.balance(f.betaDB, "acct")) == total
            }
            try await f.eventually("outbox drained") { (try? await f.pending(f.alphaDB)) == 0 }
            let notes = try await f.applied(f.betaDB).map(\.note)
            #expect(notes == (0..<total).map { "\($0)" })
        }
        try await server.stop()
    }
}
