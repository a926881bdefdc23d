import Foundation
import Testing

/// A bad cluster.conf or command line stops `node` before anything starts: exit 2 and the key at fault.
@Suite struct ConfigErrorProcessTests {
    func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "bad-\(UUID().uuidString.prefix(8)).conf"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let valid = """
        secret = "0123456789abcdef0123"
        [nodes.a]
        address = "127.0.0.1:1"
        services = ["gateway", "product", "inventory", "payment", "order", "order-saga", "order-history"]
        http = "127.0.0.1:2"
        """

    @Test(arguments: [
        ("secret = \"0123456789abcdef0123\"\n[nodes.a\n", "syntax error"),
        (valid + "\n[saga]\nstep_deadline = 3\n", "saga.step_deadline: unknown key"),
        (valid + "\n[saga]\nstep_deadline_seconds = 0\n", "saga.step_deadline_seconds: must be from 1"),
        (valid + "\n[mailbox]\nbatch_size = \"lots\"\n", "mailbox.batch_size: must be an integer"),
        (valid.replacingOccurrences(of: "\"payment\", ", with: ""), "service 'payment' is on no node"),
        (valid + "\n[nodes.b]\naddress = \"127.0.0.1:1\"\n", "nodes.b.address: 127.0.0.1:1 is already used"),
    ])
    func aBadConfigExitsWith2NamingTheKey(text: String, message: String) async throws {
        let path = try self.write(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (status, output) = try await NodeProcess.run(["--config", path])
        #expect(status == 2, "\(output)")
        #expect(output.contains(message), "\(output)")
        #expect(!output.contains("node started"))
    }

    @Test func anUnknownNodeNameExitsWith2() async throws {
        let path = try self.write(Self.valid)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (status, output) = try await NodeProcess.run(["--config", path, "--node", "nope"])
        #expect(status == 2)
        #expect(output.contains("--node: no node named 'nope'"), "\(output)")
        let (statusCommand, statusOutput) = try await NodeProcess.run(["status", "--config", path + ".missing"])
        #expect(statusCommand == 2)
        #expect(statusOutput.contains("cannot read"), "\(statusOutput)")
    }
}
