import ActorRuntime
import Foundation
import ShopActors
import TOMLKit

/// What `cluster.conf` says: the cluster's name and secret, and which node runs which services where.
struct ClusterConfig: Equatable {
    struct Node: Equatable {
        var name: String
        var host: String
        var port: Int
        var services: [String]
        /// Where the gateway's HTTP server listens, on the node that hosts the gateway.
        var http: HostPort?
        /// Where `/metrics` and `/ui` are served instead (the public listener then answers 404 for them).
        var opsHTTP: HostPort? = nil

        var address: NodeAddress { NodeAddress(name: self.name, host: self.host, port: self.port) }
    }

    struct HostPort: Equatable, CustomStringConvertible {
        var host: String
        var port: Int
        var description: String { "\(self.host):\(self.port)" }
    }

    /// The services of the shop (its catalogue, `ShopService.all`), each of which must run on a node.
    static var knownServices: [String] { ShopService.names }

    /// The secret the shipped `cluster.conf` uses; a node started with it warns that it is not for production.
    static let developmentSecret = "dev-only-change-me"

    /// Where each service's database is.
    struct Postgres: Equatable {
        /// Port and directory of the embedded server, used for every service without a URL.
        var embeddedPort = 54329
        var embeddedDirectory = ".data/postgres"
        /// Explicit database URLs per service (production).
        var urls: [String: String] = [:]
    }

    var cluster: String
    var secret: String
    var nodes: [Node]
    var postgres = Postgres()
    var options = ServiceOptions()
    var gateway = GatewayConfiguration()
    var transport = Transport()

    var usesDevelopmentSecret: Bool { self.secret == Self.developmentSecret }

    func node(named name: String) -> Node? { self.nodes.first { $0.name == name } }

    /// Reads and validates a config file.
    ///
    /// - Throws: `ConfigError` naming the key at fault.
    static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> ClusterConfig
    {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError("", "cannot read \(path): \(error.localizedDescription)")
        }
        return try Self.parse(text, environment: environment)
    }

    static func parse(_ text: String, environment: [String: String] = [:]) throws -> ClusterConfig {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(
                "",
                "syntax error at line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)"
            )
        }
        var root = TOMLReader(table, path: "")
        let cluster = try root.string("cluster") ?? "shop"
        guard Self.isName(cluster) else { throw ConfigError("cluster", "must be letters, digits, '-' or '_'") }

        let secret = try Self.secret(&root, environment: environment)

        guard var nodesTable = try root.table("nodes") else {
            throw ConfigError("nodes", "at least one node is required")
        }
        var nodes: [Node] = []
        for name in nodesTable.keys {
            guard var reader = try nodesTable.table(name) else { continue }
            guard Self.isName(name) else {
                throw ConfigError(reader.path, "node names are letters, digits, '-' or '_'")
            }
            let address = try Self.hostPort(try reader.requiredString("address"), key: reader.key("address"))
            let services = try reader.strings("services") ?? []
            for service in services where !Self.knownServices.contains(service) {
                throw ConfigError(
                    reader.key("services"),
                    "unknown service '\(service)' (known: \(Self.knownServices.joined(separator: ", ")))")
            }
            let http = try reader.string("http").map { try Self.hostPort($0, key: reader.key("http")) }
            let opsHTTP = try reader.string("ops_http").map { try Self.hostPort($0, key: reader.key("ops_http")) }
            if opsHTTP != nil, http == nil {
                throw ConfigError(reader.key("ops_http"), "needs http on the same node (the gateway's)")
            }
            try reader.finish()
            nodes.append(
                Node(
                    name: name, host: address.host, port: address.port, services: services, http: http, opsHTTP: opsHTTP
                ))
        }
        try nodesTable.finish()
        let postgres = try Self.postgres(&root)
        let options = try Self.options(&root)
        let gateway = try Self.gateway(&root)
        var transport = try Self.transport(&root)
        try root.finish()
        guard !nodes.isEmpty else { throw ConfigError("nodes", "at least one node is required") }
        // Off this machine frames are encrypted unless the file says otherwise; every node and client reads
        // the same file, so they agree.
        if transport.frames == nil {
            transport.frames = nodes.allSatisfy { NodeAddress.isLoopback($0.host) } ? .plain : .encrypted
        }

        try Self.checkPlacement(nodes)
        try Self.checkSecret(secret, nodes: nodes)
        return ClusterConfig(
            cluster: cluster, secret: secret, nodes: nodes, postgres: postgres, options: options, gateway: gateway,
            transport: transport)
    }

    private static func postgres(_ root: inout TOMLReader) throws -> Postgres {
        var postgres = Postgres()
        guard var table = try root.table("postgres") else { return postgres }
        if let port = try table.int("embedded_port") {
            guard (1...65535).contains(port) else { throw ConfigError(table.key("embedded_port"), "must be 1...65535") }
            postgres.embeddedPort = port
        }
        if let directory = try table.string("embedded_directory") {
            guard !directory.isEmpty else { throw ConfigError(table.key("embedded_directory"), "must not be empty") }
            postgres.embeddedDirectory = directory
        }
        if var urls = try table.table("urls") {
            for service in urls.keys {
                guard Self.knownServices.contains(service) else {
                    throw ConfigError(urls.key(service), "unknown service '\(service)'")
                }
                let url = try urls.requiredString(service)
                guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
                    throw ConfigError(urls.key(service), "must be a postgres:// or postgresql:// URL")
                }
                // Each service's outbox and inbox must be its own: two services on one database would relay
                // each other's messages and share one dedupe table.
                if let other = postgres.urls.first(where: { Self.sameDatabase($0.value, url) })?.key {
                    throw ConfigError(
                        urls.key(service), "is the database of '\(other)' too; each service needs its own database")
                }
                postgres.urls[service] = url
            }
            try urls.finish()
        }
        try table.finish()
        return postgres
    }

    private static func secret(_ root: inout TOMLReader, environment: [String: String]) throws -> String {
        let literal = try root.string("secret")
        let variable = try root.string("secret_env")
        switch (literal, variable) {
        case (.some, .some):
            throw ConfigError("secret_env", "give either secret or secret_env, not both")
        case (let secret?, nil):
            guard secret.utf8.count >= 16 else { throw ConfigError("secret", "must be at least 16 bytes") }
            return secret
        case (nil, let name?):
            guard let secret = environment[name], !secret.isEmpty else {
                throw ConfigError("secret_env", "environment variable \(name) is not set")
            }
            guard secret.utf8.count >= 16 else { throw ConfigError("secret_env", "\(name) must be at least 16 bytes") }
            return secret
        case (nil, nil):
            throw ConfigError("secret", "is required (or secret_env, the name of a variable holding it)")
        }
    }

    /// Off this machine, the secret is all that keeps strangers out: the shipped development secret is refused,
    /// and a secret must have at least 32 bytes (`node secret` prints one).
    private static func checkSecret(_ secret: String, nodes: [Node]) throws {
        guard let exposed = nodes.first(where: { !NodeAddress.isLoopback($0.host) }) else { return }
        let key = "nodes.\(exposed.name).address"
        guard secret != Self.developmentSecret else {
            throw ConfigError(
                "secret",
                "the development secret may not be used when a node listens beyond this machine (\(key) = \(exposed.host)); run `node secret` for a new one"
            )
        }
        guard secret.utf8.count >= 32 else {
            throw ConfigError(
                "secret",
                "must be at least 32 bytes when a node listens beyond this machine (\(key) = \(exposed.host)); run `node secret` for one"
            )
        }
    }

    /// Whether two postgres URLs name the same database (ignoring the user, query options and case of the host).
    static func sameDatabase(_ a: String, _ b: String) -> Bool {
        func key(_ url: String) -> String {
            guard let components = URLComponents(string: url) else { return url }
            return "\(components.host?.lowercased() ?? "")|\(components.port ?? 5432)|\(components.path)"
        }
        return key(a) == key(b)
    }

    private static func checkPlacement(_ nodes: [Node]) throws {
        // A service on several nodes runs on the one that holds its lease; the others stand by.
        var hostOf: [String: String] = [:]
        for node in nodes {
            var listed = Set<String>()
            for service in node.services {
                guard listed.insert(service).inserted else {
                    throw ConfigError("nodes.\(node.name).services", "service '\(service)' is listed twice")
                }
                hostOf[service] = hostOf[service] ?? node.name
            }
        }
        if let missing = Self.knownServices.first(where: { hostOf[$0] == nil }) {
            throw ConfigError("nodes", "service '\(missing)' is on no node")
        }
        var seen: [String: String] = [:]
        for node in nodes {
            for (kind, address) in [
                ("address", "\(node.host):\(node.port)"), ("http", node.http?.description),
                ("ops_http", node.opsHTTP?.description),
            ] {
                guard let address else { continue }
                if let other = seen[address] {
                    throw ConfigError("nodes.\(node.name).\(kind)", "\(address) is already used by \(other)")
                }
                seen[address] = "nodes.\(node.name).\(kind)"
            }
        }
        for node in nodes where node.services.contains("gateway") && node.http == nil {
            throw ConfigError("nodes.\(node.name).http", "is required on the node that hosts the gateway")
        }
    }

    static func hostPort(_ text: String, key: String) throws -> HostPort {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port), colon != text.startIndex
        else { throw ConfigError(key, "must be host:port with a port from 1 to 65535, got '\(text)'") }
        return HostPort(host: String(text[..<colon]), port: port)
    }

    private static func isName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" }
    }
}
