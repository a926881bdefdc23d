import HTTPTypes
import Hummingbird
import NIOCore

extension Gateway {
    func addHealthRoute(to routes: inout [(HTTPRequest.Method, String, Handler)]) {
        routes.append(
            (
                .get, "/health",
                { _, _ in
                    Response(
                        status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: "OK")))
                }
            ))
    }

    func addOperationsRoutes(to routes: inout [(HTTPRequest.Method, String, Handler)]) {
        routes.append(
            (
                .get, "/metrics",
                { _, _ in
                    let text = self.metrics.scrape(await self.clusterReport())
                    return Response(
                        status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
                }
            ))
    }
}
