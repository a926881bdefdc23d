import Foundation

/// Debian's chromium, headless: loads a page, lets its scripts run, and returns the resulting DOM.
/// Fails (never skips) when chromium is missing: `make test` installs it.
public enum HeadlessBrowser {
    public static func dumpDOM(_ url: String, scriptTime: Duration = .seconds(5)) async throws -> String {
        guard
            let binary = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(
                where: FileManager.default.isExecutableFile)
        else {
            throw BrowserError("chromium is not installed (apt-get install chromium; `make test` does it)")
        }
        let output = NSTemporaryDirectory() + "dom-\(UUID().uuidString.prefix(8)).html"
        guard FileManager.default.createFile(atPath: output, contents: nil) else {
            throw BrowserError("cannot create \(output)")
        }
        defer { try? FileManager.default.removeItem(atPath: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        let profile = NSTemporaryDirectory() + "chromium-profile-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--user-data-dir=\(profile)", "--virtual-time-budget=\(scriptTime.components.seconds * 1000)", "--dump-dom",
            url,
        ]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                throw BrowserError("chromium did not finish loading \(url)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard process.terminationStatus == 0 else {
            throw BrowserError("chromium exited with \(process.terminationStatus)")
        }
        return try String(contentsOfFile: output, encoding: .utf8)
    }
}

/// Chromium is missing, or could not load or render the page.
public struct BrowserError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
