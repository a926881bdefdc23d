import ActorRuntime
import ShopActors
import Logging

/// Turns a `ClusterConfig` into running parts; kept apart from the command so tests can build the same nodes.
enum NodeFactory {
    /// The actor system of each selected node (all nodes when `only` is nil), each knowing every other node.
    static func makeSystems(_ config: ClusterConfig, only: [String]?, logger: Logger) -> [ClusterSystem] {
        config.nodes.filter { only?.contains($0.name) ?? true }.map { node in
            var settings = ClusterSystem.Settings(node: node.name, secret: config.secret)
            settings.cluster = config.cluster
            settings.host = node.host
            settings.port = node.port
            settings.peers = config.nodes.filter { $0.name != node.name }.map(\.address)
            settings.logger = logger
            config.transport.apply(to: &settings)
            return ClusterSystem(settings: settings)
        }
    }

    /// A host (mailbox + query actor) for every service on the selected nodes.
    static func makeServiceHosts(
        _ config: ClusterConfig,
        systems: [ClusterSystem],
        databases: Databases,
        logger: Logger
    ) -> [ShopServiceHost] {
        var placement: [String: [String]] = [:]
        for node in config.nodes { for service in node.services { placement[service, default: []].append(node.name) } }
        return systems.flatMap { system in
            let node = config.node(named: system.node)
            // One per node: what its senders learnt about where each service is active.
            let directory = ServiceDirectory(placement: placement)
            return (node?.services ?? []).map { service in
                let http = node?.http.flatMap { address -> GatewayConfiguration? in
                    guard service == "gateway" else { return nil }
                    var configuration = config.gateway
                    configuration.host = address.host
                    configuration.port = address.port
                    configuration.opsHost = node?.opsHTTP?.host
                    configuration.opsPort = node?.opsHTTP?.port ?? 0
                    return configuration
                }
                return ShopServiceHost(
                    service: ShopService.named(service)!, system: system, db: databases.clients[service]!,
                    directory: directory,
                    options: config.options, http: http, logger: logger)
            }
        }
    }
}
