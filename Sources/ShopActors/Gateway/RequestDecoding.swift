import Foundation
import Hummingbird
import NIOCore

extension Request {
    /// Reads the body (at most `limit` bytes, else 413) and decodes it as JSON, turning every decoding problem
    /// into a 400 that names the field.
    mutating func decodeJSON<T: Decodable>(_ type: T.Type, limit: Int) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await self.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw GatewayError(.contentTooLarge, "Request body is larger than \(limit) bytes")
        }
        guard buffer.readableBytes > 0 else { throw GatewayError(.badRequest, "Invalid request: the body is empty") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw GatewayError(
                .badRequest, "Invalid request: \(Self.describe(error))", parameter: Self.field(of: error))
        } catch let error as GatewayError {
            throw error
        } catch {
            throw GatewayError(.badRequest, "Invalid request: malformed JSON")
        }
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }

    static func field(of error: DecodingError) -> String? {
        switch error {
        case .keyNotFound(let key, let context): Self.path(context.codingPath + [key])
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            context.codingPath.isEmpty ? nil : Self.path(context.codingPath)
        @unknown default: nil
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "\(Self.path(context.codingPath + [key])) is required"
        case .typeMismatch(let type, let context):
            let expected = type == String.self ? "a string" : (type == Int.self ? "an integer" : "of another type")
            return context.codingPath.isEmpty
                ? "expected a JSON object" : "\(Self.path(context.codingPath)) must be \(expected)"
        case .valueNotFound(_, let context):
            return "\(Self.path(context.codingPath)) must not be null"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "malformed JSON" : "\(Self.path(context.codingPath)) has an invalid value"
        @unknown default:
            return "malformed JSON"
        }
    }
}

/// Query parameters with the original's defaults, checked, with errors naming the parameter.
struct QueryParameters {
    let parameters: Parameters

    init(_ request: Request) {
        self.parameters = request.uri.queryParameters
    }

    /// A non-empty value, or nil when missing or empty (the original treated both as "use the default").
    func string(_ name: String) -> String? {
        guard let value = self.parameters[name[...]].map(String.init), !value.isEmpty else { return nil }
        return value
    }

    func int(_ name: String, default value: Int) throws -> Int {
        guard let text = self.string(name) else { return value }
        guard let number = Int(text) else {
            throw GatewayError.badParameter(name, "must be an integer, got '\(text.prefix(40))'")
        }
        return number
    }

    func date(_ name: String) throws -> Date? {
        guard let text = self.string(name) else { return nil }
        guard let date = Timestamps.parse(text) else {
            throw GatewayError.badParameter(name, "must be a date (2025-10-03) or an RFC 3339 time")
        }
        return date
    }

    /// page ≥ 1, limit ≥ 1 and capped at `PageRequest.maxLimit`.
    func page() throws -> PageRequest {
        let page = try self.int("page", default: 1)
        let limit = try self.int("limit", default: 10)
        guard page >= 1, page <= 1_000_000 else {
            throw GatewayError.badParameter("page", "must be between 1 and 1000000")
        }
        guard limit >= 1 else { throw GatewayError.badParameter("limit", "must be 1 or more") }
        return PageRequest(page: page, limit: min(limit, PageRequest.maxLimit))
    }
}
