import Logging
import Synchronization

/// A log handler that keeps every line (message and metadata) in memory, at every level, so a test can check
/// what was logged, or that something never was.
public final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    public var all: [String] { self.lines.withLock { $0 } }

    public func logger(label: String = "recorded") -> Logger {
        var logger = Logger(label: label) { _ in Handler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ line: String) {
        self.lines.withLock { $0.append(line) }
    }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = self.metadata.merging(event.metadata ?? [:]) { $1 }
            self.recorder.append("\(event.level) \(event.message) \(merged)")
        }
    }
}
