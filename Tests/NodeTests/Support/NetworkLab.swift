import Foundation

/// Nodes on separate hosts, as far as the kernel is concerned: one Linux network namespace per node, each with
/// its own address on a bridge in the test's namespace (veth pairs), nothing of theirs on 127.0.0.1. Cutting a
/// node's link (`ip link set … down`) drops its packets silently; no connection is reset.
final class NetworkLab: @unchecked Sendable {
    // Set in `create`; read-only afterwards.
    let id: String
    let subnet: Int
    private(set) var namespaces: [String: String] = [:]
    private(set) var addresses: [String: String] = [:]
    private(set) var hostLinks: [String: String] = [:]

    var bridge: String { "sb\(self.id)" }
    /// The bridge's address: how the namespaces reach the test's side (Postgres, through a proxy).
    var bridgeAddress: String { "10.231.\(self.subnet).1" }

    private init(id: String, subnet: Int) {
        self.id = id
        self.subnet = subnet
    }

    static let ip: String =
        ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        ?? "/usr/sbin/ip"

    /// The namespace, the veth pair and the address of each of `nodes`, and the bridge that joins them.
    static func create(nodes: [String]) async throws -> NetworkLab {
        let lab = NetworkLab(
            id: String(format: "%04x", UInt16.random(in: 0...UInt16.max)), subnet: Int.random(in: 1...250))
        do {
            try await lab.run(["link", "add", lab.bridge, "type", "bridge"])
            try await lab.run(["addr", "add", "\(lab.bridgeAddress)/24", "dev", lab.bridge])
            try await lab.run(["link", "set", lab.bridge, "up"])
            for (index, node) in nodes.enumerated() {
                let namespace = "sn\(lab.id)-\(index)"
                let host = "sv\(lab.id)\(index)h"
                let inside = "sv\(lab.id)\(index)n"
                let address = "10.231.\(lab.subnet).\(10 + index)"
                try await lab.run(["netns", "add", namespace])
                lab.namespaces[node] = namespace
                try await lab.run(["link", "add", host, "type", "veth", "peer", "name", inside])
                lab.hostLinks[node] = host
                try await lab.run(["link", "set", inside, "netns", namespace])
                try await lab.run(["link", "set", host, "master", lab.bridge])
                try await lab.run(["link", "set", host, "up"])
                try await lab.run(["-n", namespace, "addr", "add", "\(address)/24", "dev", inside])
                try await lab.run(["-n", namespace, "link", "set", inside, "up"])
                try await lab.run(["-n", namespace, "link", "set", "lo", "up"])
                lab.addresses[node] = address
            }
        } catch {
            await lab.destroy()
            throw error
        }
        return lab
    }

    /// The command that runs a program inside `node`'s namespace.
    func wrapper(for node: String) -> [String] { [Self.ip, "netns", "exec", self.namespaces[node]!] }

    /// Takes `node`'s link down: its packets go nowhere, its sockets stay open.
    func cut(_ node: String) async throws { try await self.run(["link", "set", self.hostLinks[node]!, "down"]) }

    func heal(_ node: String) async throws { try await self.run(["link", "set", self.hostLinks[node]!, "up"]) }

    /// Drops everything `node` sends to the other nodes (blackhole routes in its namespace); the bridge, and so
    /// the database behind it, stays reachable.
    func isolateFromPeers(_ node: String) async throws {
        for (other, address) in self.addresses where other != node {
            try await self.run(["-n", self.namespaces[node]!, "route", "add", "blackhole", "\(address)/32"])
        }
    }

    func rejoin(_ node: String) async throws {
        for (other, address) in self.addresses where other != node {
            try await self.run(["-n", self.namespaces[node]!, "route", "del", "blackhole", "\(address)/32"])
        }
    }

    /// Removes the namespaces (and the veths inside them), the host ends and the bridge.
    func destroy() async {
        for link in self.hostLinks.values { try? await self.run(["link", "del", link]) }
        for namespace in self.namespaces.values { try? await self.run(["netns", "del", namespace]) }
        try? await self.run(["link", "del", self.bridge])
    }

    private func run(_ arguments: [String]) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.ip)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(5)) }  // no blocking wait in a task
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw NodeTestError(
                "ip \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(message)")
        }
    }
}
