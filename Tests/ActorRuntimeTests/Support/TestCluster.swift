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

    /// Links `a` to `b` through a proxy that can go silent (a, the smaller name, is the one that dials) and waits
    /// until each sees the other up.
    static func linkThroughProxy(_ a: ClusterSystem, _ b: ClusterSystem) async throws -> FreezingProxy {
        let proxy = try await FreezingProxy.start(
            to: try .makeAddressResolvingHost("127.0.0.1", port: b.boundAddress!.port))
        a.addPeer(NodeAddress(name: b.node, host: "127.0.0.1", port: proxy.port))
        b.addPeer(a.boundAddress!)
        try await a.waitForMembers([b.node], timeout: .seconds(30))
        try await b.waitForMembers([a.node], timeout: .seconds(30))
        return proxy
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
