import NIOCore

/// A compact, self-describing binary encoding for `Codable` values, used for call arguments and results.
///
/// Every value starts with a one-byte tag. Integers are LEB128 varints (signed ones zigzagged), strings and
/// byte arrays are length-prefixed, and containers carry a `UInt32` byte length, so any value can be skipped
/// without knowing its type. Keyed containers store `key, value` pairs (keys as strings), so dictionaries,
/// optional fields, out-of-order and missing keys all decode as with JSON. `[UInt8]`, `Data` and `ByteBuffer`
/// travel as raw bytes.
enum BinaryFormat {
    enum Tag: UInt8 {
        case null = 0
        case `false` = 1
        case `true` = 2
        case signed = 3
        case unsigned = 4
        case float32 = 5
        case float64 = 6
        case string = 7
        case bytes = 8
        case keyed = 9
        case unkeyed = 10
    }

    /// Deepest nesting accepted while decoding (protects the stack from hostile recursive input).
    static let maxDepth = 128
}

extension ByteBuffer {
    mutating func writeVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            self.writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        self.writeInteger(UInt8(value))
    }

    mutating func readVarint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = self.readInteger(as: UInt8.self) {
            if shift == 63 && byte > 1 { return nil }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }

    mutating func writeBinaryString(_ string: String) {
        self.writeInteger(BinaryFormat.Tag.string.rawValue)
        self.writeVarint(UInt64(string.utf8.count))
        self.writeString(string)
    }

    mutating func writeBinaryBytes<Bytes: Sequence>(_ bytes: Bytes, count: Int) where Bytes.Element == UInt8 {
        self.writeInteger(BinaryFormat.Tag.bytes.rawValue)
        self.writeVarint(UInt64(count))
        self.writeBytes(bytes)
    }

    /// Cuts the next complete tagged value (tag included) off the front, or returns `nil` if it is truncated
    /// or malformed.
    mutating func readBinaryValue() -> ByteBuffer? {
        var probe = self
        guard let raw = probe.readInteger(as: UInt8.self), let tag = BinaryFormat.Tag(rawValue: raw) else {
            return nil
        }
        switch tag {
        case .null, .false, .true:
            break
        case .signed, .unsigned:
            guard probe.readVarint() != nil else { return nil }
        case .float32:
            guard probe.readInteger(as: UInt32.self) != nil else { return nil }
        case .float64:
            guard probe.readInteger(as: UInt64.self) != nil else { return nil }
        case .string, .bytes:
            guard let length = probe.readVarint(), length <= UInt64(probe.readableBytes) else { return nil }
            probe.moveReaderIndex(forwardBy: Int(length))
        case .keyed, .unkeyed:
            guard let length = probe.readInteger(as: UInt32.self), Int(length) <= probe.readableBytes else {
                return nil
            }
            probe.moveReaderIndex(forwardBy: Int(length))
        }
        let size = probe.readerIndex - self.readerIndex
        return self.readSlice(length: size)
    }
}
