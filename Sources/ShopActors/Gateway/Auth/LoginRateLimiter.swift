import Foundation
import Synchronization

/// Counts attempts per key (an email at a client address, a client address, a registering client) in fixed
/// windows; a key over its limit is refused (429) until its window ends.
///
/// An attempt is counted before its password is checked (`begin`), so a parallel burst gets no more guesses
/// than a sequential one; a successful login gives its attempt back (`succeeded`), so many users behind one
/// address can log in.
final class LoginRateLimiter: Sendable {
    private struct Window {
        var start: Date
        var count: Int
    }

    private let windows = Mutex<[String: Window]>([:])
    private let window: TimeInterval
    private let now: @Sendable () -> Date

    init(window: Duration, now: @escaping @Sendable () -> Date) {
        self.window = window.timeInterval
        self.now = now
    }

    /// Counts one attempt against every key if none is at its limit; otherwise counts nothing and returns the
    /// seconds until the latest of the full keys frees up.
    func begin(_ keys: [(key: String, limit: Int)]) -> Int? {
        let now = self.now()
        return self.windows.withLock { windows -> Int? in
            if windows.count > 100_000 {
                windows = windows.filter { now.timeIntervalSince($0.value.start) < self.window }
            }
            var wait: Int?
            for (key, limit) in keys {
                guard let entry = windows[key], now.timeIntervalSince(entry.start) < self.window, entry.count >= limit
                else {
                    continue
                }
                wait = max(wait ?? 0, max(1, Int((self.window - now.timeIntervalSince(entry.start)).rounded(.up))))
            }
            if wait != nil { return wait }
            for (key, _) in keys {
                if let entry = windows[key], now.timeIntervalSince(entry.start) < self.window {
                    windows[key]!.count = entry.count + 1
                } else {
                    windows[key] = Window(start: now, count: 1)
                }
            }
            return nil
        }
    }

    /// The attempt succeeded: `clear` keys start over, `refund` keys get the attempt back.
    func succeeded(clear: [String], refund: [String]) {
        self.windows.withLock { windows in
            for key in clear { windows[key] = nil }
            for key in refund where windows[key] != nil { windows[key]!.count = max(0, windows[key]!.count - 1) }
        }
    }
}
