import Foundation

/// Where a page of `/api/my-orders` ended: the last order's `created_at` (as Postgres prints the column, to
/// the microsecond) and id. Opaque to clients (base64url); the next page starts strictly after it, so deep
/// pages cost what the first one costs.
public struct OrderCursor: Codable, Sendable, Equatable {
    public var createdAt: String
    public var id: String

    public init(createdAt: String, id: String) {
        self.createdAt = createdAt
        self.id = id
    }

    /// `v1` + tab + created_at + tab + id, base64url without padding.
    public var token: String {
        Data("v1\t\(self.createdAt)\t\(self.id)".utf8).base64URLEncodedString
    }

    /// The cursor in `token`, or nil when it is not one this version wrote.
    public init?(token: String) {
        guard (1...1024).contains(token.utf8.count) else { return nil }
        guard let data = Data(base64URLEncoded: token), let text = String(data: data, encoding: .utf8) else {
            return nil
        }
        let parts = text.split(separator: "\t", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", Self.isTimestamp(parts[1]), !parts[2].isEmpty,
            parts[2].utf8.count <= 255
        else {
            return nil
        }
        self.createdAt = String(parts[1])
        self.id = String(parts[2])
    }

    /// `YYYY-MM-DD HH:MM:SS[.ffffff]`: what a `timestamp` column prints, and nothing else reaches SQL.
    static func isTimestamp(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 19 || (bytes.count > 20 && bytes.count <= 26 && bytes[19] == UInt8(ascii: ".")) else {
            return false
        }
        for (index, byte) in bytes.enumerated() {
            switch index {
            case 4, 7: if byte != UInt8(ascii: "-") { return false }
            case 10: if byte != UInt8(ascii: " ") { return false }
            case 13, 16: if byte != UInt8(ascii: ":") { return false }
            case 19: continue
            default: if !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { return false }
            }
        }
        return true
    }
}
