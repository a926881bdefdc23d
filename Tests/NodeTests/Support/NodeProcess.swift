import Foundation
import Testing

/// A `node` process started from the binary this test run built, its output in a file.
final class NodeProcess: @unchecked Sendable {
    // Set in init; `process` is only touched from the test's task.
    let process: Process
    let logPath: String

    /// The built `node` executable, next to the test bundle.
    static var binary: URL {
        get throws {
            let url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
                "node")
            guard FileManager.default.isExecutableFile(atPath: url.path) else {
                throw NodeTestError("the node binary is not at \(url.path); build with `swift build --build-tests`")
            }
            return url
        }
    }

    /// - Parameter wrapper: a command the node runs under (e.g. `ip netns exec NS`), which execs it.
    init(_ arguments: [String], log name: String, environment: [String: String] = [:], wrapper: [String] = []) throws {
        self.logPath = NSTemporaryDirectory() + "node-test-\(name)-\(UUID().uuidString.prefix(8)).log"
        guard FileManager.default.createFile(atPath: self.logPath, contents: nil) else {
            throw NodeTestError("cannot create \(self.logPath)")
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: self.logPath))
        self.process = Process()
        if let command = wrapper.first {
            self.process.executableURL = URL(fileURLWithPath: command)
            self.process.arguments = Array(wrapper.dropFirst()) + [try Self.binary.path] + arguments
        } else {
            self.process.executableURL = try Self.binary
            self.process.arguments = arguments
        }
        self.process.standardOutput = log
        self.process.standardError = log
        self.process.standardInput = FileHandle.nullDevice
        if !environment.isEmpty {
            self.process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        try self.process.run()
    }

    var output: String { (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? "" }

    /// Sends SIGTERM and waits for the exit; the exit status.
    @discardableResult
    func terminate(timeout: Duration = .seconds(20)) async throws -> Int32 {
        if self.process.isRunning { kill(self.process.processIdentifier, SIGTERM) }
        return try await self.waitForExit(timeout: timeout)
    }

    /// `kill -9`: no goodbye, no flushing, connections cut mid-stream.
    func kill9() async throws {
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
        _ = try await self.waitForExit()
    }

    /// SIGSTOP or SIGCONT: a frozen process keeps its sockets open and answers nothing.
    func signal(_ signal: Int32) {
        if self.process.isRunning { kill(self.process.processIdentifier, signal) }
    }

    func waitForExit(timeout: Duration = .seconds(20)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(self.process.processIdentifier, SIGKILL)
                throw NodeTestError("node did not exit within \(timeout); its log:\n\(self.output.suffix(3000))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return self.process.terminationStatus
    }

    /// Runs `node ARGS` to completion: exit status, stdout+stderr.
    static func run(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> (
        status: Int32, output: String
    ) {
        let process = try NodeProcess(arguments, log: arguments.first ?? "run")
        let status = try await process.waitForExit(timeout: timeout)
        return (status, process.output)
    }

    deinit {
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: self.logPath)
    }
}

struct NodeTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
