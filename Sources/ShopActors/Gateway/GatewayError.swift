import Foundation
import HTTPTypes
import Hummingbird

/// An error the gateway answers with: a status and a JSON body `{"success":false,"message":...}`, plus the
/// offending parameter or field when there is one. Never carries internal detail (SQL, stack, secrets).
public struct GatewayError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    public var parameter: String?
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String, parameter: String? = nil) {
        self.status = status
        self.message = message
        self.parameter = parameter
    }

    public var description: String { "\(self.status.code) \(self.message)" }

    static func badParameter(_ name: String, _ problem: String) -> GatewayError {
        GatewayError(.badRequest, "\(name): \(problem)", parameter: name)
    }

    static let unauthorized = GatewayError(.unauthorized, "Unauthorized")
    static let invalidCredentials = GatewayError(.unauthorized, "Invalid credentials")
    static let internalError = GatewayError(.internalServerError, "Internal server error")

    struct Body: Encodable {
        var success = false
        var message: String
        var parameter: String?
    }

    var response: Response {
        var response = JSONResponse.make(Body(message: self.message, parameter: self.parameter), status: self.status)
        for field in self.headers { response.headers.append(field) }
        return response
    }
}

/// JSON responses the way the original wrote them (`json.Encoder`: a trailing newline), dates in RFC 3339.
enum JSONResponse {
    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.string(date))
        }
        var data = (try? encoder.encode(value)) ?? Data(#"{"success":false,"message":"Internal server error"}"#.utf8)
        data.append(UInt8(ascii: "\n"))
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// RFC 3339 timestamps with fractional seconds, UTC.
enum RFC3339 {
    static func string(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }

    /// Accepts `2025-10-03`, `2025-10-03T11:19:46Z` and the same with fractional seconds or an offset.
    static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        // A bare date means its midnight, UTC.
        guard text.count == 10 else { return nil }
        return try? Date(text + "T00:00:00Z", strategy: .iso8601)
    }
}
