import CLibPQ
import Foundation

/// One libpq connection. Every call blocks, so it lives on one thread of a `PostgresClient` pool and is
/// handed to work items there; it is never used from an event loop or the cooperative pool.
public final class PostgresConnection {
    private var handle: OpaquePointer?
    let conninfo: String
    /// Statements run once on every new connection (session settings such as `SET synchronous_commit = off`).
    let sessionSetup: [String]
    /// Statements prepared on this connection, by SQL text: the server parses and plans each only once (under
    /// load, parsing was the largest share of the server's CPU).
    private var prepared: [String: String] = [:]
    static let maxPrepared = 256

    init(conninfo: String, sessionSetup: [String] = []) {
        self.conninfo = conninfo
        self.sessionSetup = sessionSetup
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    var isConnected: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Opens the connection if it is not open (or was lost).
    @available(*, noasync)
    func connectIfNeeded() throws {
        if self.isConnected { return }
        self.close()
        guard let handle = PQconnectdb(self.conninfo) else {
            throw PostgresError(
                sqlState: nil, message: "libpq could not allocate a connection", isConnectionFailure: true)
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(handle))
            PQfinish(handle)
            throw PostgresError(sqlState: "08001", message: "cannot connect: \(message)", isConnectionFailure: true)
        }
        // Notices (e.g. "relation already exists, skipping") are not errors; keep them out of stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        self.handle = handle
        for statement in self.sessionSetup { try self.executeScript(statement) }
    }

    func close() {
        if let handle { PQfinish(handle) }
        self.handle = nil
        self.prepared.removeAll()
    }

    /// Runs one parameterised statement.
    ///
    /// - Parameters:
    ///   - sql: a single statement with `$1`, `$2`, ... placeholders.
    ///   - parameters: bound in order; `nil` is SQL NULL.
    /// - Throws: `PostgresError` with the server's SQLSTATE.
    @available(*, noasync)
    @discardableResult
    public func query(_ sql: String, _ parameters: [(any PostgresBindable)?] = []) throws -> PostgresRows {
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(sqlState: "08003", message: "connection is not open", isConnectionFailure: true)
        }
        let values = parameters.map { parameter -> ParameterValue in
            guard let parameter else { return .null }
            if let binary = parameter.postgresBinary { return .binary(binary) }
            return .text(parameter.postgresText)
        }
        guard let name = try self.statement(for: sql, parameterCount: values.count, handle: handle) else {
            let result: OpaquePointer? = Self.withParameters(values) { pointers, lengths, formats in
                PQexecParams(handle, sql, Int32(pointers.count), nil, pointers, lengths, formats, 0)
            }
            return try self.consume(result, handle: handle)
        }
        let result: OpaquePointer? = Self.withParameters(values) { pointers, lengths, formats in
            PQexecPrepared(handle, name, Int32(pointers.count), pointers, lengths, formats, 0)
        }
        do {
            return try self.consume(result, handle: handle)
        } catch let error as PostgresError where error.sqlState == "0A000" || error.sqlState == "26000" {
            // The table changed shape under a cached plan, or the statement is gone: forget it.
            self.prepared[sql] = nil
            throw error
        }
    }

    enum ParameterValue {
        case null
        case text(String)
        case binary([UInt8])
    }

    /// The prepared statement for `sql`, preparing it on first use; nil once the cache is full (then the
    /// statement runs unprepared).
    private func statement(for sql: String, parameterCount: Int, handle: OpaquePointer) throws -> String? {
        if let name = self.prepared[sql] { return name }
        guard self.prepared.count < Self.maxPrepared else { return nil }
        let name = "s\(self.prepared.count)_\(UInt32.random(in: 0...UInt32.max))"
        _ = try self.consume(PQprepare(handle, name, sql, Int32(parameterCount), nil), handle: handle)
        self.prepared[sql] = name
        return name
    }

    /// Runs SQL without parameters; it may hold several statements (migrations). Never pass values here.
    @available(*, noasync)
    public func executeScript(_ sql: String) throws {
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(sqlState: "08003", message: "connection is not open", isConnectionFailure: true)
        }
        _ = try self.consume(PQexec(handle, sql), handle: handle)
    }

    private func consume(_ result: OpaquePointer?, handle: OpaquePointer) throws -> PostgresRows {
        guard let result else {
            throw PostgresError(
                sqlState: nil, message: Self.trimmed(PQerrorMessage(handle)),
                isConnectionFailure: PQstatus(handle) != CONNECTION_OK)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            break
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message =
                PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
                ?? Self.trimmed(PQerrorMessage(handle))
            let lost = PQstatus(handle) != CONNECTION_OK
            throw PostgresError(sqlState: state ?? (lost ? "08006" : nil), message: message, isConnectionFailure: lost)
        }
        let fieldCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        var columns: [String] = []
        var index: [String: Int] = [:]
        for field in 0..<fieldCount {
            let name = String(cString: PQfname(result, Int32(field)))
            columns.append(name)
            index[name] = index[name] ?? field
        }
        var rows: [PostgresRow] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(fieldCount)
            for field in 0..<fieldCount {
                if PQgetisnull(result, Int32(row), Int32(field)) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(row), Int32(field))))
                }
            }
            rows.append(PostgresRow(columnIndex: index, values: values))
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresRows(columns: columns, rows: rows, affected: affected)
    }

    private static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown libpq error" }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func withParameters<R>(
        _ values: [ParameterValue],
        _ body: ([UnsafePointer<CChar>?], [Int32], [Int32]) -> R
    ) -> R {
        var storage: [UnsafeMutablePointer<CChar>?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        storage.reserveCapacity(values.count)
        lengths.reserveCapacity(values.count)
        formats.reserveCapacity(values.count)
        for value in values {
            switch value {
            case .null:
                storage.append(nil)
                lengths.append(0)
                formats.append(0)
            case .text(let text):
                storage.append(strdup(text)!)
                lengths.append(0)
                formats.append(0)
            case .binary(let bytes):
                let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
                bytes.withUnsafeBytes { raw in
                    if let base = raw.baseAddress {
                        UnsafeMutableRawPointer(pointer).copyMemory(from: base, byteCount: raw.count)
                    }
                }
                storage.append(pointer)
                lengths.append(Int32(bytes.count))
                formats.append(1)
            }
        }
        defer {
            for (pointer, format) in zip(storage, formats) {
                if format == 1 { pointer?.deallocate() } else { free(pointer) }
            }
        }
        return body(storage.map { $0.map { UnsafePointer($0) } }, lengths, formats)
    }
}
