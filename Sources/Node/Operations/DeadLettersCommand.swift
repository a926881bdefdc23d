import ActorRuntime
import ArgumentParser
import Foundation
import Logging
import ShopActors

struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deadletters",
        abstract: "Lists or replays messages that failed too often to be delivered.",
        subcommands: [List.self, Replay.self],
        defaultSubcommand: List.self
    )

    struct Options: ParsableArguments {
        @Option(help: "Path of the cluster configuration.") var config = "cluster.conf"
        @Option(help: "Log level of the client connection (logs go to stderr).") var logLevel: Logger.Level = .critical
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lists dead letters, oldest first (every service by default).")

        @OptionGroup var options: Options
        @Option(help: "Only this service's outbox.") var service: String?
        @Option(help: "At most this many per service.") var limit = 100
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let config = try RunCommand.loadOrExit(self.options.config)
            let client = try await ClusterClient.connect(config, logLevel: self.options.logLevel)
            var letters: [DeadLetter] = []
            var services = ClusterConfig.knownServices
            if let service = self.service { services = [service] }
            for service in services {
                do {
                    let found = try await client.mailbox(of: service).deadLetters(limit: self.limit)
                    letters += found.map {
                        var letter = $0; letter.destination = "\(service) → \(letter.destination)"; return letter
                    }
                } catch {
                    FileHandle.standardError.write(Data("warning: \(service): \(error)\n".utf8))
                }
            }
            await client.close()
            if self.json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = Timestamps.jsonEncoding
                print(String(decoding: try encoder.encode(letters), as: UTF8.self))
            } else if letters.isEmpty {
                print("no dead letters")
            } else {
                print(
                    StatusTable.columns(
                        ["ID", "FROM → TO", "TYPE", "ATTEMPTS", "CREATED", "LAST ERROR"],
                        letters.map {
                            [
                                "\($0.outboxID)", $0.destination, $0.type, "\($0.attempts)",
                                $0.createdAt.formatted(.iso8601),
                                String(($0.lastError ?? "").prefix(120)),
                            ]
                        }), terminator: "")
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Puts dead letters of one service's outbox back in its queue (all of them, or --id ...).")

        @OptionGroup var options: Options
        @Option(help: "The service whose outbox holds them (the sender).") var service: String
        @Option(name: .customLong("id"), help: "An id from `deadletters list` (repeatable).") var ids: [Int64] = []
        @Flag(help: "Replay every dead letter of the service.") var all = false

        func validate() throws {
            guard self.all != !self.ids.isEmpty else { throw ValidationError("give --all or at least one --id") }
        }

        func run() async throws {
            let config = try RunCommand.loadOrExit(self.options.config)
            let client = try await ClusterClient.connect(config, logLevel: self.options.logLevel)
            do {
                let report = try await client.mailbox(of: self.service).replay(ids: self.all ? nil : self.ids)
                await client.close()
                print("replayed \(report.replayed) dead letter\(report.replayed == 1 ? "" : "s") of \(self.service)")
                for refusal in report.refused {
                    print("refused #\(refusal.outboxID) \(refusal.type): \(refusal.reason)")
                }
            } catch {
                await client.close()
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
