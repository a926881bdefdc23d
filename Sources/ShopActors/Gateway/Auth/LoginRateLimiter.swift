import Foundation
import Synchronization

/// Counts failed logins per key (an email, a client address) in fixed windows; a key over its limit is
/// refused (429) until its window ends. Successful logins are not counted, so many users behind one address
/// can log in; a success clears the email's count.
final class LoginRateLimiter: Sendable {
    private struct Window {
        var start: Date
        var failures: Int
    }

    private let windows = Mutex<[String: Window]>([:])
    private let window: TimeInterval
    private let now: @Sendable () -> Date

    init(window: Duration, now: @escaping @Sendable () -> Date) {
        self.window = window.timeInterval
        self.now = now
    }

    /// Seconds until `key` may try again, or nil if it may try now.
    func retryAfter(_ key: String, limit: Int) -> Int? {
        let now = self.now()
        return self.windows.withLock { windows in
            guard let entry = windows[key], now.timeIntervalSince(entry.start) < self.window, entry.failures >= limit
            else { return nil }
            return max(1, Int((self.window - now.timeIntervalSince(entry.start)).rounded(.up)))
        }
    }

    func recordFailure(_ key: String) {
        let now = self.now()
        self.windows.withLock { windows in
            if windows.count > 100_000 {
                windows = windows.filter { now.timeIntervalSince($0.value.start) < self.window }
            }
            if let entry = windows[key], now.timeIntervalSince(entry.start) < self.window {
                windows[key]!.failures = entry.failures + 1
            } else {
                windows[key] = Window(start: now, failures: 1)
            }
        }
    }

    func reset(_ key: String) {
        _ = self.windows.withLock { $0.removeValue(forKey: key) }
    }
}
