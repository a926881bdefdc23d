import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The HTTP client of the tests and of the benchmarks' load generators: AsyncHTTPClient aimed at one server,
/// with the few conveniences they use (a JSON body from a string, a header by name, the body as text, JSON or
/// a `Decodable`). Measured against the hand-written keep-alive client it replaced, the orders benchmark
/// completes as many orders (BENCHMARKS.md, "The load generator's client").
public struct HTTPTestClient: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]

        public var text: String { String(decoding: self.body, as: UTF8.self) }

        public func header(_ name: String) -> String? {
            self.headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        /// The body as a JSON object (fails the caller if it is not one).
        public func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: Data(self.body)) as? [String: Any] else {
                throw HTTPTestClientError("body is not a JSON object: \(self.text)")
            }
            return object
        }

        /// The body decoded as one of the project's `Decodable` types.
        public func decode<T: Decodable>(_ type: T.Type, decoder: JSONDecoder = JSONDecoder()) throws -> T {
            try decoder.decode(T.self, from: Data(self.body))
        }
    }

    private let base: String

    /// One pool for the process, allowed a connection per concurrent caller (AsyncHTTPClient's shared client
    /// opens 8 per host, which caps a load generator's 64 clients); it lives as long as the process.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 1024
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// Aims at `host:port`; connections open with the first request (and are kept for the next ones).
    public init(host: String = "127.0.0.1", port: Int) async throws {
        self.base = "http://\(host):\(port)"
    }

    /// Sends one request and reads its whole response; fails after `timeout`.
    public func request(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        timeout: TimeAmount = .seconds(30)
    ) async throws -> Response {
        var request = HTTPClientRequest(url: self.base + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await Self.client.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Response(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
            body: Array(bytes.readableBytesView))
    }

    /// Convenience: a JSON body from a string.
    public func request(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], json: String)
        async throws -> Response
    {
        try await self.request(
            method, path, headers: [("Content-Type", "application/json")] + headers, body: Array(json.utf8))
    }

    /// Nothing to release: the pool keeps its connections for the next caller.
    public func close() async {}
}

public struct HTTPTestClientError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
