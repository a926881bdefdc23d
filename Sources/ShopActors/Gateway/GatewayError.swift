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

    /// Every error's JSON body (tests decode it too).
    struct Body: Codable {
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
