import ActorRuntime
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import ShopActors
import UnixSignals

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Runs the nodes of a cluster.conf: one with --node, otherwise all of them in this process."
    )

    @Option(help: "Path of the cluster configuration.") var config = "cluster.conf"
    @Option(help: "Run only this node (default: every node of the file, each its own system on loopback TCP).")
    var node: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical.") var logLevel: Logger.Level = .info

    func run() async throws {
        var config = try Self.loadOrExit(self.config)
        if let node = self.node, config.node(named: node) == nil {
            Self.fail(
                "--node: no node named '\(node)' in \(self.config) (nodes: \(config.nodes.map(\.name).joined(separator: ", ")))"
            )
        }
        let level = self.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "node")
        let faults = config.options.applyFaultSwitches(ProcessInfo.processInfo.environment)
        if !faults.isEmpty {
            logger.warning("fault injection is on (SHOP_FAULTS): \(faults.joined(separator: ", ")); for tests only")
        }
        if config.usesDevelopmentSecret {
            logger.warning(
                "cluster.conf uses the development secret; set secret_env for anything but local development")
        }
        let systems = NodeFactory.makeSystems(config, only: self.node.map { [$0] }, logger: logger)
        let hosted = config.nodes.filter { self.node == nil || $0.name == self.node }.flatMap(\.services)
        let databases = try await Databases.prepare(config, services: hosted, logger: logger)
        let hosts = NodeFactory.makeServiceHosts(config, systems: systems, databases: databases, logger: logger)
        // Shut down in reverse: the services' relays first, then the nodes, then the databases under them.
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: databases)] + systems.map { .init(service: $0) }
                    + hosts.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }

    /// Loads the config, or prints the problem and exits with status 2 before anything starts.
    static func loadOrExit(_ path: String) throws -> ClusterConfig {
        do {
            return try ClusterConfig.load(path: path)
        } catch let error as ConfigError {
            Self.fail("\(path): \(error)")
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        Foundation.exit(2)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
