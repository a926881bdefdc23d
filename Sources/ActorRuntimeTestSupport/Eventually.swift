/// `eventually` gave up: the condition never held.
public struct TimedOut: Error, CustomStringConvertible {
    public var description: String
}

/// Polls `condition` until it holds, and throws `TimedOut` naming `what` after `timeout`.
///
/// Tests wait on conditions, not fixed sleeps. The default deadline is generous because the machine may be
/// loaded (the whole suite runs in parallel on two cores): only a failing test ever waits it out.
public func eventually(
    _ what: String, timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            throw TimedOut(description: "timed out after \(timeout) waiting for: \(what)")
        }
        try await Task.sleep(for: interval)
    }
}
