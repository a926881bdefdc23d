import ActorRuntime
import Logging

/// Cluster settings for tests: port 0, short backoffs and grace periods, quiet logs.
public enum TestSettings {
    public static let secret = "test-secret-of-enough-length"

    public static func cluster(_ name: String, port: Int = 0, secret: String = Self.secret) -> ClusterSystem.Settings {
        var settings = ClusterSystem.Settings(node: name, secret: secret)
        settings.port = port
        settings.shutdownGracePeriod = .seconds(1)
        settings.reconnectBackoff.maximum = .milliseconds(200)
        var logger = Logger(label: "test.\(name)")
        logger.logLevel = .critical
        settings.logger = logger
        return settings
    }

    public static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }
}
