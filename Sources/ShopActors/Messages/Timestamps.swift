import Foundation

/// Every timestamp the shop shows or reads, in one place: RFC 3339 in UTC for its own JSON and the commands
/// line's, and Go's `time.Time` form where the original's JSON used it (categories, products, history).
/// Databases store `timestamptz`; the SQL renderers below are for the forms the wire contract fixes.
public enum Timestamps {
    /// RFC 3339 with fractional seconds, UTC: `2026-12-07T13:40:00.123Z`.
    public static func rfc3339(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }

    /// Accepts `2025-10-03`, `2025-10-03T11:19:46Z` and the same with fractional seconds or an offset.
    public static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return date
        }
        // A bare date means its midnight, UTC.
        guard text.count == 10 else { return nil }
        return try? Date(text + "T00:00:00Z", strategy: .iso8601)
    }

    /// For `JSONEncoder`: dates as `rfc3339`.
    public static let jsonEncoding = JSONEncoder.DateEncodingStrategy.custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(Self.rfc3339(date))
    }

    /// For `JSONDecoder`: dates in any form `parse` accepts.
    public static let jsonDecoding = JSONDecoder.DateDecodingStrategy.custom { decoder in
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = Self.parse(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 date: \(text)")
        }
        return date
    }

    /// A decoder for the shop's JSON: dates as `jsonDecoding` reads them.
    public static func jsonDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = Self.jsonDecoding
        return decoder
    }

    /// SQL rendering a `timestamptz` column as RFC 3339 to the second, UTC (the events' `created_at`).
    static func rfc3339SQL(_ column: String) -> String {
        #"to_char(\#(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"#
    }

    /// SQL rendering a UTC `timestamp` column as Go's `time.Time.String()` does (fraction without trailing
    /// zeros): `2025-10-03 11:19:46.123456 +0000 UTC`, as the original's JSON had it.
    static func goSQL(_ column: String) -> String {
        """
        (to_char(\(column), 'YYYY-MM-DD HH24:MI:SS') ||
         CASE WHEN extract(microseconds FROM \(column))::int % 1000000 = 0 THEN ''
              ELSE '.' || rtrim(to_char(\(column), 'US'), '0') END || ' +0000 UTC')
        """
    }
}
