/// The compact binary form of message payloads in the mailbox (`outbox.payload`, a delivery batch): a format
/// byte, then each field in declaration order, with no names. Strings and arrays are length-prefixed, integers
/// are zigzag varints, optionals carry a presence byte. No JSON is written or parsed on the way through, which
/// was the largest share of the node's CPU per order.
///
/// Evolution: a new field goes at the end and is read only when bytes remain (`isAtEnd`), so a newer reader
/// takes an older payload; a reader ignores bytes after the fields it knows. Payloads written as JSON by
/// earlier versions (they start with `{`) are still read, through the types' `Codable` JSON form.
public struct PayloadWriter: Sendable {
    public static let formatVersion: UInt8 = 1
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 96) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
        self.bytes.append(Self.formatVersion)
    }

    public mutating func write(_ value: Int) {
        var zigzag = UInt64(bitPattern: Int64(value) << 1 ^ Int64(value) >> 63)
        while zigzag >= 0x80 {
            self.bytes.append(UInt8(truncatingIfNeeded: zigzag) | 0x80)
            zigzag >>= 7
        }
        self.bytes.append(UInt8(zigzag))
    }

    public mutating func write(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            self.write(utf8.count)
            self.bytes.append(contentsOf: utf8)
        }
    }

    public mutating func write(_ value: String?) {
        guard let value else { return self.bytes.append(0) }
        self.bytes.append(1)
        self.write(value)
    }

    public mutating func write(_ value: Int?) {
        guard let value else { return self.bytes.append(0) }
        self.bytes.append(1)
        self.write(value)
    }

    public mutating func write(_ items: [Item]) {
        self.write(items.count)
        for item in items {
            self.write(item.productID)
            self.write(item.quantity)
            self.write(item.name)
            self.write(item.price)
        }
    }
}

/// Reads what `PayloadWriter` wrote; every read checks the bounds (a payload is bytes from a table or a
/// socket), and a malformed one throws `PayloadError`.
public struct PayloadReader {
    private let bytes: [UInt8]
    private var index: Int

    public init(_ bytes: [UInt8]) throws {
        guard bytes.first == PayloadWriter.formatVersion else { throw PayloadError("unknown payload format") }
        self.bytes = bytes
        self.index = 1
    }

    public var isAtEnd: Bool { self.index >= self.bytes.count }

    public mutating func int() throws -> Int {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard self.index < self.bytes.count, shift < 64 else { throw PayloadError("truncated integer") }
            let byte = self.bytes[self.index]
            self.index += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { break }
            shift += 7
        }
        return Int(Int64(bitPattern: result >> 1) ^ -Int64(bitPattern: result & 1))
    }

    public mutating func string() throws -> String {
        let count = try self.int()
        guard count >= 0, count <= self.bytes.count - self.index else { throw PayloadError("truncated string") }
        defer { self.index += count }
        return String(decoding: self.bytes[self.index..<self.index + count], as: UTF8.self)
    }

    private mutating func present() throws -> Bool {
        guard self.index < self.bytes.count else { throw PayloadError("truncated optional") }
        defer { self.index += 1 }
        switch self.bytes[self.index] {
        case 0: return false
        case 1: return true
        default: throw PayloadError("bad optional marker")
        }
    }

    public mutating func optionalString() throws -> String? {
        try self.present() ? try self.string() : nil
    }

    public mutating func optionalInt() throws -> Int? {
        try self.present() ? try self.int() : nil
    }

    public mutating func items() throws -> [Item] {
        let count = try self.int()
        // Each item takes at least 4 bytes: a bound before allocating for a count nobody sent.
        guard count >= 0, count <= (self.bytes.count - self.index) / 4 else { throw PayloadError("bad item count") }
        var items: [Item] = []
        items.reserveCapacity(count)
        for _ in 0..<count {
            items.append(
                Item(
                    productID: try self.string(), quantity: try self.optionalInt(), name: try self.optionalString(),
                    price: try self.optionalInt()))
        }
        return items
    }
}

public struct PayloadError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = "malformed payload: \(description)" }
}
