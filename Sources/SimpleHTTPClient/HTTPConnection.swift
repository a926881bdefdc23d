import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 client over one TCP connection (keep-alive, one request at a time): the gateway's tests
/// and the orders benchmark use it, without pulling in a full HTTP client stack.
public final class HTTPConnection: Sendable {
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
                throw HTTPConnectionError("body is not a JSON object: \(self.text)")
            }
            return object
        }
    }

    private let channel: any Channel
    private let collector: ResponseCollector
    private let host: String

    public init(host: String = "127.0.0.1", port: Int) async throws {
        self.host = "\(host):\(port)"
        let collector = ResponseCollector()
        self.collector = collector
        self.channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: host, port: port).get()
    }

    /// Sends one request and reads its whole response; fails (and closes the connection) after `timeout`.
    public func request(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        timeout: TimeAmount = .seconds(30)
    ) async throws -> Response {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: self.host)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let body { head.headers.add(name: "Content-Length", value: "\(body.count)") }
        let requestHead = head
        let promise = self.channel.eventLoop.makePromise(of: Response.self)
        let collector = self.collector
        let channel = self.channel
        try await channel.eventLoop.submit {
            collector.expect(promise)
            let timer = channel.eventLoop.scheduleTask(in: timeout) {
                collector.failPending(
                    HTTPConnectionError("no answer to \(requestHead.method) \(requestHead.uri) within \(timeout)"))
                channel.close(promise: nil)
            }
            promise.futureResult.whenComplete { _ in timer.cancel() }
            channel.write(HTTPClientRequestPart.head(requestHead), promise: nil)
            if let body {
                channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
            }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }.get()
        return try await promise.futureResult.get()
    }

    /// Convenience: a JSON body from a string.
    public func request(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], json: String)
        async throws -> Response
    {
        try await self.request(
            method, path, headers: [("Content-Type", "application/json")] + headers, body: Array(json.utf8))
    }

    public func close() async {
        try? await self.channel.close()
    }

    /// Collects the parts of one response at a time; lives on the channel's event loop.
    private final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPClientResponsePart

        private var pending: EventLoopPromise<Response>?
        private var response = Response(status: 0, headers: [], body: [])

        func expect(_ promise: EventLoopPromise<Response>) {
            self.pending = promise
            self.response = Response(status: 0, headers: [], body: [])
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head(let head):
                self.response.status = Int(head.status.code)
                self.response.headers = head.headers.map { ($0.name, $0.value) }
            case .body(let buffer):
                self.response.body.append(contentsOf: buffer.readableBytesView)
            case .end:
                self.pending?.succeed(self.response)
                self.pending = nil
            }
        }

        /// Fails the request in flight, if any (each promise is completed exactly once).
        func failPending(_ error: any Error) {
            self.pending?.fail(error)
            self.pending = nil
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.pending?.fail(HTTPConnectionError("connection closed before the response ended"))
            self.pending = nil
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.pending?.fail(error)
            self.pending = nil
            context.close(promise: nil)
        }
    }
}

public struct HTTPConnectionError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
