import Foundation
import Logging
import NIOCore
import NIOPosix

/// A project-local Postgres server for development and tests, run from the Debian `postgresql` binaries.
///
/// `start()` is idempotent and safe when several processes call it at once (an exclusive file lock
/// serialises them): the first runs `initdb` if needed and starts the server, the others find it running.
/// The server listens on 127.0.0.1 only, and every connection (TCP or its Unix socket) must give the
/// password (SCRAM-SHA-256): a random one made on first start and kept, mode 0600, next to the data
/// directory (`<directory>.password`), so another local user cannot connect as the superuser. It is for
/// development, never production, where each service gets a real URL. As root, the server runs as the
/// `postgres` OS user (Postgres refuses to run as root). A data directory made by an earlier version with
/// `trust` authentication is converted on its next start.
public struct EmbeddedPostgres: Sendable {
    public struct Configuration: Sendable {
        /// Where the cluster's files live. Defaults to `.data/postgres` under the current directory.
        public var directory: String = ".data/postgres"
        /// TCP port on 127.0.0.1. Defaults to 54329.
        public var port: Int = 54329
        /// The server's `max_connections`. Defaults to 200.
        public var maxConnections: Int = 200
        /// Further server settings (`-c name=value`), e.g. `shared_preload_libraries` for the benchmarks.
        /// Names and values of `[A-Za-z0-9_.,]` only (pg_ctl hands them to a shell).
        public var settings: [String: String] = [:]

        public init() {}
    }

    public let configuration: Configuration
    private let logger: Logger

    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "embedded-postgres")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The absolute data directory.
    var dataDirectory: String {
        URL(fileURLWithPath: self.configuration.directory).standardizedFileURL.path
    }

    /// Where the password of every role of this server is kept (mode 0600).
    public var passwordPath: String { self.dataDirectory + ".password" }

    /// The superuser URL of the `postgres` database.
    public var adminURL: String { self.url(user: "postgres", database: "postgres") }

    /// The URL of a service's database (see `ensureDatabase`).
    public func url(database: String) -> String {
        self.url(user: database, database: database)
    }

    private func url(user: String, database: String) -> String {
        let password = (try? self.password()) ?? ""
        return "postgresql://\(user):\(password)@127.0.0.1:\(self.configuration.port)/\(database)"
    }

    /// The password, made on first use: 32 random bytes as hex (so it is safe in URLs and SQL literals).
    /// Written to a temporary file and linked into place, so racing processes all read the same one.
    func password() throws -> String {
        if let existing = try? String(contentsOfFile: self.passwordPath, encoding: .utf8), existing.count == 64 {
            return existing
        }
        var generator = SystemRandomNumberGenerator()
        let fresh = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let parent = (self.passwordPath as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let temporary = self.passwordPath + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Self.failure("cannot create \(temporary)") }
        let written = fresh.utf8CString.withUnsafeBytes { write(descriptor, $0.baseAddress, 64) }
        close(descriptor)
        defer { unlink(temporary) }
        guard written == 64 else { throw Self.failure("cannot write \(temporary)") }
        if link(temporary, self.passwordPath) != 0 && errno != EEXIST {
            throw Self.failure("cannot create \(self.passwordPath)")
        }
        guard let stored = try? String(contentsOfFile: self.passwordPath, encoding: .utf8), stored.count == 64 else {
            throw Self.failure("\(self.passwordPath) does not hold a password; delete it to make a new one")
        }
        return stored
    }

    /// `initdb`, `pg_ctl` and the start lock block for seconds: they run on a thread pool of their own, so that
    /// they never hold a thread bcrypt or other blocking work waits for, and to completion even when the
    /// calling task is cancelled (a node stopping because one of its services failed must still stop the
    /// server it started).
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    private static func serverWork<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await Self.pool.runIfActive(eventLoop: MultiThreadedEventLoopGroup.singleton.any(), body).get()
    }

    /// Initialises the cluster if needed and starts the server unless it is already running.
    ///
    /// - Returns: whether this call started it (and so should stop it).
    @discardableResult
    public func start() async throws -> Bool {
        let this = self
        return try await Self.serverWork { try this.startBlocking() }
    }

    /// Stops the server (fast mode: open transactions roll back). Does nothing if it is not running.
    public func stop() async throws {
        let this = self
        try await Self.serverWork {
            let tools = try Tools.find()
            guard try this.isRunning(tools) else { return }
            try this.run(tools.pgCtl, ["stop", "-D", this.dataDirectory, "-m", "fast", "-w", "-t", "60"])
        }
    }

    /// Restarts the server (for tests that check recovery from a database restart).
    public func restart() async throws {
        let this = self
        try await Self.serverWork {
            let tools = try Tools.find()
            try this.run(
                tools.pgCtl,
                ["restart", "-D", this.dataDirectory, "-m", "fast", "-w", "-t", "60", "-o", this.serverOptions])
        }
    }

    /// Creates a role and a database of that name, if missing. Safe to race with another process.
    ///
    /// - Parameter name: lower-case letters, digits and `_` (service names with `-` are mapped to `_`).
    /// - Returns: the database's URL.
    public func ensureDatabase(_ name: String) async throws -> String {
        let database = Self.databaseName(for: name)
        let password = try self.password()
        let admin = PostgresClient(configuration: .init(url: self.adminURL).with(poolSize: 1))
        defer { admin.shutdown() }
        try await admin.withConnection { connection in
            // Identifiers cannot be parameters; `databaseName` allows only [a-z0-9_], so quoting is safe.
            if try connection.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [database]).count == 0 {
                // The password is hex (see `password()`), so the literal is safe.
                let create = "CREATE ROLE \"\(database)\" LOGIN PASSWORD '\(password)'"
                do { try connection.query(create) } catch let error as PostgresError
                    where error.isUniqueViolation || error.sqlState == "42710"
                {}
            }
            if try connection.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]).count == 0 {
                do { try connection.query("CREATE DATABASE \"\(database)\" OWNER \"\(database)\"") } catch let error
                    as PostgresError where error.isUniqueViolation || error.sqlState == "42P04"
                {}
            }
        }
        return self.url(database: database)
    }

    /// The port of the server running on this data directory, if one is (from its `postmaster.pid`).
    public static func runningPort(directory: String) -> Int? {
        Self.postmasterFile(directory).flatMap { $0.lines.count > 3 ? Int($0.lines[3]) : nil }
    }

    /// The process id of the server running on this data directory, if one is.
    public static func runningPID(directory: String) -> Int32? {
        Self.postmasterFile(directory)?.pid
    }

    private static func postmasterFile(_ directory: String) -> (pid: Int32, lines: [Substring])? {
        let path = URL(fileURLWithPath: directory).standardizedFileURL.path + "/postmaster.pid"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, let pid = Int32(first), kill(pid, 0) == 0 || errno == EPERM else { return nil }
        return (pid, lines)
    }

    /// Drops a database (tests).
    public func dropDatabase(_ name: String) async throws {
        let database = Self.databaseName(for: name)
        let admin = PostgresClient(configuration: .init(url: self.adminURL).with(poolSize: 1))
        defer { admin.shutdown() }
        try await admin.query("DROP DATABASE IF EXISTS \"\(database)\" WITH (FORCE)")
    }

    public static func databaseName(for name: String) -> String {
        let mapped = name.lowercased().map { $0 == "-" ? "_" : $0 }
        precondition(
            !mapped.isEmpty && mapped.count <= 63
                && mapped.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") },
            "database names are [a-z0-9_-], at most 63 characters: \(name)"
        )
        return String(mapped)
    }

    // MARK: Blocking parts (run on their own thread)

    private var serverOptions: String {
        let extra = self.configuration.settings.sorted { $0.key < $1.key }.map { " -c \($0.key)=\($0.value)" }.joined()
        return
            "-p \(self.configuration.port) -c listen_addresses=127.0.0.1 -k \(self.dataDirectory) -c max_connections=\(self.configuration.maxConnections)"
            + extra
    }

    private var runsAsPostgresUser: Bool { geteuid() == 0 }

    private static func isSafeSetting(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
                    || "_.,".utf8.contains(byte)
            }
    }

    private func startBlocking() throws -> Bool {
        for (name, value) in self.configuration.settings where !Self.isSafeSetting(name) || !Self.isSafeSetting(value) {
            throw Self.failure("setting \(name)=\(value): names and values must be [A-Za-z0-9_.,]")
        }
        let tools = try Tools.find()
        let directory = self.dataDirectory
        let parent = (directory as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)

        // One process at a time from here: initdb and start are not safe to race.
        let lockPath = directory + ".lock"
        // O_CLOEXEC: the server started below must not inherit the lock and hold it for ever.
        let lock = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw Self.failure("cannot open \(lockPath)") }
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else { throw Self.failure("cannot lock \(lockPath)") }

        if self.runsAsPostgresUser {
            try self.prepareForPostgresUser(parent: parent)
        }
        let password = try self.password()
        if !FileManager.default.fileExists(atPath: directory + "/PG_VERSION") {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if self.runsAsPostgresUser {
                try self.run("/bin/chown", ["postgres:postgres", directory], asPostgres: false)
            }
            self.logger.info("initialising embedded Postgres", metadata: ["directory": "\(directory)"])
            try self.withFileForPostgres(password, in: parent) { passwordFile in
                try self.run(
                    tools.initdb,
                    [
                        "-D", directory, "-U", "postgres", "--auth=scram-sha-256", "--pwfile=\(passwordFile)", "-E",
                        "UTF8",
                        "--no-locale",
                    ])
            }
        }
        try self.convertFromTrust(tools, password: password, parent: parent)
        if try self.isRunning(tools) { return false }
        // A server killed hard leaves its pid file; pg_ctl start handles a stale one itself.
        try self.run(
            tools.pgCtl,
            [
                "start", "-D", directory, "-w", "-t", "60", "-l", parent + "/postgres.log", "-o", self.serverOptions,
            ])
        self.logger.info("embedded Postgres started", metadata: ["port": "\(self.configuration.port)"])
        return true
    }

    /// A data directory from before passwords: give every login role the password and require it, with the
    /// server stopped (single-user mode runs the change, as the server's own user).
    private func convertFromTrust(_ tools: Tools, password: String, parent: String) throws {
        let hbaPath = self.dataDirectory + "/pg_hba.conf"
        let hba = (try? String(contentsOfFile: hbaPath, encoding: .utf8)) ?? ""
        let trusting = hba.split(separator: "\n").contains { line in
            !line.hasPrefix("#") && line.split(whereSeparator: { $0 == " " || $0 == "\t" }).last == "trust"
        }
        guard trusting else { return }
        self.logger.notice("embedded Postgres: converting from trust to password authentication")
        if try self.isRunning(tools) {
            try self.run(tools.pgCtl, ["stop", "-D", self.dataDirectory, "-m", "fast", "-w", "-t", "60"])
        }
        let sql = """
            DO $$ DECLARE r record; BEGIN FOR r IN SELECT rolname FROM pg_roles WHERE rolcanlogin LOOP EXECUTE format('ALTER ROLE %I PASSWORD %L', r.rolname, '\(password)'); END LOOP; END $$;

            """
        try self.withFileForPostgres(sql, in: parent) { script in
            let postgres = (tools.pgCtl as NSString).deletingLastPathComponent + "/postgres"
            try self.run(postgres, ["--single", "-D", self.dataDirectory, "postgres"], stdin: script)
        }
        let scram = """
            # Written by EmbeddedPostgres: every connection gives the password in \((self.passwordPath as NSString).lastPathComponent).
            local   all   all                  scram-sha-256
            host    all   all   127.0.0.1/32   scram-sha-256
            host    all   all   ::1/128        scram-sha-256

            """
        try self.withFileForPostgres(scram, in: parent) { file in
            try self.run("/bin/cp", [file, hbaPath])
        }
    }

    /// Runs `body` with `text` in a 0600 file that the server's OS user can read, removed afterwards.
    private func withFileForPostgres(_ text: String, in directory: String, _ body: (String) throws -> Void) throws {
        let path = directory + "/.embedded-postgres-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard
            FileManager.default.createFile(
                atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw Self.failure("cannot write \(path)")
        }
        defer { unlink(path) }
        if self.runsAsPostgresUser { try self.run("/bin/chown", ["postgres:postgres", path], asPostgres: false) }
        try body(path)
    }

    private func isRunning(_ tools: Tools) throws -> Bool {
        guard FileManager.default.fileExists(atPath: self.dataDirectory + "/PG_VERSION") else { return false }
        return (try? self.run(tools.pgCtl, ["status", "-D", self.dataDirectory])) != nil
    }

    /// The `postgres` user must be able to reach and own the data directory.
    private func prepareForPostgresUser(parent: String) throws {
        try self.run("/bin/chown", ["postgres:postgres", parent], asPostgres: false)
        // Every ancestor must be traversable (a checkout under /root is not, by default).
        var path = parent
        while path != "/" && !path.isEmpty {
            var info = stat()
            if stat(path, &info) == 0, info.st_mode & 0o001 == 0 {
                chmod(path, info.st_mode | 0o001)
            }
            path = (path as NSString).deletingLastPathComponent
        }
    }

    @discardableResult
    private func run(_ executable: String, _ arguments: [String], asPostgres: Bool = true, stdin: String = "/dev/null")
        throws -> String
    {
        let (program, argv) =
            asPostgres && self.runsAsPostgresUser
            ? ("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments) : (executable, arguments)
        let (status, output) = try ChildProcess.run(program, argv, stdin: stdin)
        guard status == 0 else {
            throw Self.failure(
                "\((executable as NSString).lastPathComponent) \(arguments.first ?? "") failed (\(status)): \(output.suffix(600))"
            )
        }
        return output
    }

    private static func failure(_ message: String) -> PostgresError {
        PostgresError(sqlState: nil, message: "embedded Postgres: \(message)")
    }

    /// The server binaries of the newest installed Postgres (`/usr/lib/postgresql/N/bin`, not on PATH).
    struct Tools {
        var initdb: String
        var pgCtl: String

        static func find() throws -> Tools {
            let root = "/usr/lib/postgresql"
            let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
                .compactMap { Int($0) }.sorted(by: >)
            for version in versions {
                let bin = "\(root)/\(version)/bin"
                if FileManager.default.isExecutableFile(atPath: bin + "/initdb") {
                    return Tools(initdb: bin + "/initdb", pgCtl: bin + "/pg_ctl")
                }
            }
            throw EmbeddedPostgres.failure("no Postgres server binaries under \(root); install the postgresql package")
        }
    }
}

extension PostgresClient.Configuration {
    public func with(poolSize: Int) -> Self {
        var copy = self
        copy.poolSize = poolSize
        return copy
    }
}
