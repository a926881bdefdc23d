import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import SimpleHTTPClient
import ArgumentParser

/// The HTTP client the orders benchmark posts with. The load generator shares the machine with the cluster, so
/// its client's CPU is the cluster's loss; `--http-client` measures the two against each other (BENCHMARKS.md,
/// "The load generator's client").
enum LoadClientKind: String, CaseIterable, Sendable {
    /// `SimpleHTTPClient`: one keep-alive connection per client, nothing else.
    case simple
    /// AsyncHTTPClient's shared client (a connection pool).
    case asyncHTTPClient = "async-http-client"
}

protocol LoadClient: Sendable {
    /// POSTs a JSON body; the status and the body.
    func post(_ path: String, headers: [(String, String)], json: String) async throws -> (Int, [UInt8])
    func close() async
}

extension LoadClientKind {
    func connect(host: String, port: Int) async throws -> any LoadClient {
        switch self {
        case .simple: try await HTTPConnection(host: host, port: port)
        case .asyncHTTPClient: AsyncLoadClient(base: "http://\(host):\(port)")
        }
    }
}

extension HTTPConnection: LoadClient {
    func post(_ path: String, headers: [(String, String)], json: String) async throws -> (Int, [UInt8]) {
        let response = try await self.request(.POST, path, headers: headers, json: json)
        return (response.status, response.body)
    }
}

struct AsyncLoadClient: LoadClient {
    var base: String

    func post(_ path: String, headers: [(String, String)], json: String) async throws -> (Int, [UInt8]) {
        var request = HTTPClientRequest(url: self.base + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), Array(body.readableBytesView))
    }

    func close() async {}
}
extension LoadClientKind: ExpressibleByArgument {}
