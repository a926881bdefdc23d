import ActorRuntime
import Foundation
import Logging
import ShopActors

/// A short-lived client-role connection to every node of a cluster.conf, for operator commands.
struct ClusterClient {
    let config: ClusterConfig
    let system: ClusterSystem

    /// Connects (as a client: it dials, never listens, hosts nothing) and waits up to `wait` for the nodes.
    static func connect(_ config: ClusterConfig, wait: Duration = .seconds(3), logLevel: Logger.Level) async throws
        -> ClusterClient
    {
        var settings = ClusterSystem.Settings(node: "status-\(getpid())", secret: config.secret)
        settings.cluster = config.cluster
        settings.role = .client
        settings.peers = config.nodes.map(\.address)
        config.transport.apply(to: &settings)
        var logger = Logger(label: "node.status")
        logger.logLevel = logLevel
        settings.logger = logger
        let system = ClusterSystem(settings: settings)
        try await system.start()
        let names = config.nodes.map(\.name)
        // Nodes that are down simply stay unreachable; the report shows them as down.
        try? await system.waitForMembers(names, timeout: wait)
        // A heartbeat or two gives the RTT of the nodes that are up.
        let deadline = ContinuousClock.now + .milliseconds(1500)
        while ContinuousClock.now < deadline,
            system.status().members.contains(where: {
                names.contains($0.name) && $0.state == .up && $0.rttMicros == nil
            })
        {
            try await Task.sleep(for: .milliseconds(50))
        }
        return ClusterClient(config: config, system: system)
    }

    func report() async -> ClusterReport {
        await ClusterReport.gather(
            system: self.system,
            nodes: self.config.nodes.map { ($0.name, "\($0.host):\($0.port)", $0.services) })
    }

    func mailbox(of service: String) throws -> MailboxEndpoint {
        guard let node = self.config.nodes.first(where: { $0.services.contains(service) }) else {
            throw ValidationFailure(
                "no node hosts '\(service)' (services: \(ClusterConfig.knownServices.joined(separator: ", ")))")
        }
        guard self.system.memberState(node.name) == .up else {
            throw ValidationFailure(
                "node '\(node.name)', which hosts \(service), is not reachable at \(node.host):\(node.port)")
        }
        return try MailboxEndpoint.resolve(
            id: ActorID(node: node.name, path: MailboxEndpoint.path(for: service)), using: self.system)
    }

    func close() async {
        await self.system.shutdown()
    }
}

struct ValidationFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
