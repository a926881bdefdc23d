import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks, each measured against a baseline in the same run.",
        subcommands: [
            TransportBenchCommand.self, MailboxBenchCommand.self, OrdersBenchCommand.self, HistoryBenchCommand.self,
        ]
    )
}
