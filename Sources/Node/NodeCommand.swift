import ArgumentParser

@main
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Runs and inspects the shop's actor cluster.",
        subcommands: [
            RunCommand.self, StatusCommand.self, DeadLettersCommand.self, SecretCommand.self, BenchCommand.self,
        ],
        defaultSubcommand: RunCommand.self
    )
}
