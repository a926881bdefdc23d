import ActorRuntime
import ActorRuntimeTestSupport
import Foundation
import Testing

/// The embedded server gives no local user a way in without the password kept under `.data`.
@Suite struct EmbeddedPostgresTests {
    /// Whether a client with `url` can run a query.
    static func connects(_ url: String) async -> Bool {
        let client = TestPostgres.client(url, poolSize: 1)
        defer { client.shutdown() }
        return (try? await client.query("SELECT 1")) != nil
    }

    /// `url` with its password removed, or replaced.
    static func url(_ url: String, password: String?) -> String {
        let withoutPassword = url.replacingOccurrences(of: #":[0-9a-f]{64}@"#, with: "@", options: .regularExpression)
        guard let password else { return withoutPassword }
        return withoutPassword.replacingOccurrences(of: "@127.0.0.1", with: ":\(password)@127.0.0.1")
    }

    static func check(_ server: EmbeddedPostgres, serviceURL: String) async throws {
        var info = stat()
        #expect(stat(server.passwordPath, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let hba = try String(
            contentsOfFile: (server.passwordPath as NSString).deletingPathExtension + "/pg_hba.conf", encoding: .utf8)
        #expect(!hba.split(separator: "\n").contains { !$0.hasPrefix("#") && $0.hasSuffix("trust") })
        for url in [server.adminURL, serviceURL] {
            #expect(await Self.connects(url))
            #expect(await !Self.connects(Self.url(url, password: nil)), "\(Self.url(url, password: nil))")
            #expect(await !Self.connects(Self.url(url, password: String(repeating: "0", count: 64))))
        }
    }

    @Test func everyConnectionNeedsThePasswordKeptInA0600File() async throws {
        let server = try await TestPostgres.server
        try await Self.check(server, serviceURL: try await TestPostgres.freshDatabase())
    }

    @Test func aDataDirectoryThatTrustedLocalUsersIsConvertedOnStart() async throws {
        var configuration = EmbeddedPostgres.Configuration()
        configuration.directory = ".data/test-postgres-convert-\(UInt32.random(in: 0...UInt32.max))"
        configuration.port = try await TestSettings.freePort()
        let server = EmbeddedPostgres(configuration: configuration)
        try await server.start()
        let serviceURL = try await server.ensureDatabase("convert_me")
        try await server.stop()
        // As an earlier version left it: trust for everyone.
        let hbaPath = configuration.directory + "/pg_hba.conf"
        try "local all all trust\nhost all all 127.0.0.1/32 trust\n".write(
            toFile: hbaPath, atomically: false, encoding: .utf8)
        try await server.start()
        try await Self.check(server, serviceURL: serviceURL)
        // Stopped even from a cancelled task (a node whose service group was cancelled still stops its server).
        let stopping = Task {
            while !Task.isCancelled { await Task.yield() }
            try await server.stop()
        }
        stopping.cancel()
        try await stopping.value
        #expect(EmbeddedPostgres.runningPort(directory: configuration.directory) == nil)
        try? FileManager.default.removeItem(atPath: configuration.directory)
        try? FileManager.default.removeItem(atPath: server.passwordPath)
        try? FileManager.default.removeItem(atPath: configuration.directory + ".lock")
    }
}
