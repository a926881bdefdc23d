import ArgumentParser
import Foundation
import Logging
import ShopActors

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Shows every node, each service's mailbox and the sagas. Exit 0 when all nodes are up, 1 otherwise."
    )

    @Option(help: "Path of the cluster configuration.") var config = "cluster.conf"
    @Flag(help: "Print JSON instead of the table.") var json = false
    @Option(help: "Log level of the client connection (logs go to stderr).") var logLevel: Logger.Level = .critical

    func run() async throws {
        let config = try RunCommand.loadOrExit(self.config)
        let client = try await ClusterClient.connect(config, logLevel: self.logLevel)
        let report = await client.report()
        await client.close()
        if self.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = Timestamps.jsonEncoding
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(StatusTable.render(report), terminator: "")
        }
        if !report.allUp { throw ExitCode(1) }
    }
}
