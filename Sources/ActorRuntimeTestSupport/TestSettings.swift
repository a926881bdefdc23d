import ActorRuntime
import Foundation
import Logging
import NIOCore
import NIOPosix
#if canImport(Glibc)
    import Glibc
#endif

/// Cluster settings for tests: port 0, short backoffs and grace periods, quiet logs.
public enum TestSettings {
    public static let secret = "test-secret-of-enough-length"

    public static func cluster(_ name: String, port: Int = 0, secret: String = Self.secret) -> ClusterSystem.Settings {
        var settings = ClusterSystem.Settings(node: name, secret: secret)
        settings.port = port
        settings.shutdownGracePeriod = .seconds(1)
        settings.reconnectBackoff.maximum = .milliseconds(200)
        var logger = Logger(label: "test.\(name)")
        logger.logLevel = Self.logLevel
        settings.logger = logger
        return settings
    }

    /// The test nodes' log level: quiet unless `SHOP_TEST_LOG` names one (`SHOP_TEST_LOG=info swift test ...`
    /// to see why a node closed a connection).
    static let logLevel =
        ProcessInfo.processInfo.environment["SHOP_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .critical

    public static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }
}

extension TestSettings {
    /// A port that was free a moment ago, from the kernel's ephemeral range (for a listener that is not restarted).
    public static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return port
    }

    /// A free port below the kernel's ephemeral range (32768 and up on Linux), for a node that a test stops
    /// and starts again on the same port: an ephemeral port could be taken meanwhile by any outgoing
    /// connection's local end, or by another test's listener on port 0.
    public static func restartablePort() -> Int {
        while true {
            let port = Int.random(in: 20_000..<32_000)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if bound == 0 { return port }
        }
    }
}
