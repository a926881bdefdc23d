import ActorRuntime
import ActorRuntimeTestSupport
import Logging
import NIOCore
import NIOPosix

/// Real nodes in one process, on loopback with ports picked by the OS.
struct TestCluster {
    var systems: [ClusterSystem]

    static let secret = TestSettings.secret

    static func settings(_ name: String, port: Int = 0, secret: String = Self.secret) -> ClusterSystem.Settings {
        TestSettings.cluster(name, port: port, secret: secret)
    }

    /// Starts `names` as separate systems, introduces them to each other and waits until all are up.
    static func start(
        _ names: [String], configure: (inout ClusterSystem.Settings) -> Void = { _ in }
    ) async throws -> TestCluster {
        var systems: [ClusterSystem] = []
        for name in names {
            var settings = Self.settings(name)
            configure(&settings)
            let system = ClusterSystem(settings: settings)
            try await system.start()
            systems.append(system)
        }
        let cluster = TestCluster(systems: systems)
        cluster.introduce()
        for system in systems { try await system.waitForMembers(timeout: .seconds(10)) }
        return cluster
    }

    func introduce() {
        for system in self.systems {
            for other in self.systems where other !== system {
                system.addPeer(other.boundAddress!)
            }
        }
    }

    subscript(_ name: String) -> ClusterSystem {
        self.systems.first { $0.node == name }!
    }

    func shutdown() async {
        for system in self.systems { await system.shutdown() }
    }
}

/// Runs `body` with a started cluster and always shuts it down.
func withCluster(
    _ names: [String],
    configure: (inout ClusterSystem.Settings) -> Void = { _ in },
    _ body: (TestCluster) async throws -> Void
) async throws {
    let cluster = try await TestCluster.start(names, configure: configure)
    do {
        try await body(cluster)
    } catch {
        await cluster.shutdown()
        throw error
    }
    await cluster.shutdown()
}
