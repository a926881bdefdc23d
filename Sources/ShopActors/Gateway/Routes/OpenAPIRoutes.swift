import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension Gateway {
    /// `docs/openapi.yaml`, shipped in the module's bundle (read once; nil if the bundle lacks it).
    static let openAPIDocument: Data? = Bundle.module.url(forResource: "openapi", withExtension: "yaml").flatMap {
        try? Data(contentsOf: $0)
    }

    func addOpenAPIRoute(to routes: inout [(HTTPRequest.Method, String, Handler)]) {
        routes.append(
            (
                .get, "/openapi.yaml",
                { _, _ in
                    guard let document = Self.openAPIDocument else {
                        throw GatewayError(.internalServerError, "the API description is missing from this build")
                    }
                    return Response(
                        status: .ok, headers: [.contentType: "application/yaml"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: document)))
                }
            ))
    }
}
