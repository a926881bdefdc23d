import Foundation

/// RFC 3339 timestamps with fractional seconds, UTC.
enum RFC3339 {
    static func string(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }

    /// Accepts `2025-10-03`, `2025-10-03T11:19:46Z` and the same with fractional seconds or an offset.
    static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return date
        }
        // A bare date means its midnight, UTC.
        guard text.count == 10 else { return nil }
        return try? Date(text + "T00:00:00Z", strategy: .iso8601)
    }
}
