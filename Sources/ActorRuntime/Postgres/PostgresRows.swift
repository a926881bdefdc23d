import Foundation

/// The result of a query, copied out of libpq as text.
public struct PostgresRows: Sendable {
    public let columns: [String]
    public let rows: [PostgresRow]
    /// Rows touched by an INSERT, UPDATE or DELETE.
    public let affected: Int

    public var count: Int { self.rows.count }
    public var first: PostgresRow? { self.rows.first }
}

/// One row: values by column name, as Postgres's text output, with typed accessors.
public struct PostgresRow: Sendable {
    let columnIndex: [String: Int]
    public let values: [String?]

    func raw(_ column: String) throws -> String? {
        guard let index = self.columnIndex[column] else {
            throw PostgresError(sqlState: nil, message: "no column '\(column)' in the result")
        }
        return self.values[index]
    }

    private func required(_ column: String) throws -> String {
        guard let value = try self.raw(column) else {
            throw PostgresError(sqlState: nil, message: "column '\(column)' is NULL")
        }
        return value
    }

    private func parse<T>(_ column: String, as type: T.Type, _ parse: (String) -> T?) throws -> T {
        let text = try self.required(column)
        guard let value = parse(text) else {
            throw PostgresError(sqlState: nil, message: "column '\(column)' is not a \(T.self)")
        }
        return value
    }

    public func string(_ column: String) throws -> String { try self.required(column) }
    public func optionalString(_ column: String) throws -> String? { try self.raw(column) }
    public func int(_ column: String) throws -> Int { try self.parse(column, as: Int.self) { Int($0) } }
    public func optionalInt(_ column: String) throws -> Int? { try self.raw(column).flatMap { Int($0) } }
    public func bool(_ column: String) throws -> Bool {
        try self.parse(column, as: Bool.self) { $0 == "t" ? true : $0 == "f" ? false : nil }
    }
    public func double(_ column: String) throws -> Double { try self.parse(column, as: Double.self) { Double($0) } }
    public func date(_ column: String) throws -> Date {
        try self.parse(column, as: Date.self) { PostgresTime.parse($0) }
    }
    public func optionalDate(_ column: String) throws -> Date? {
        try self.raw(column).flatMap { PostgresTime.parse($0) }
    }
    public func bytes(_ column: String) throws -> [UInt8] {
        try self.parse(column, as: [UInt8].self) { PostgresBytes.parse($0) }
    }
}
