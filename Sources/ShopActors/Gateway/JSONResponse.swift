import Foundation
import HTTPTypes
import Hummingbird

/// JSON responses the way the original wrote them (`json.Encoder`: a trailing newline), dates in RFC 3339.
enum JSONResponse {
    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let data = Self.body(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The body bytes: keys sorted (the original's Go maps were), then a newline.
    static func body<T: Encodable>(_ value: T) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = Timestamps.jsonEncoding
        var data = (try? encoder.encode(value)) ?? Data(#"{"success":false,"message":"Internal server error"}"#.utf8)
        data.append(UInt8(ascii: "\n"))
        return data
    }
}
