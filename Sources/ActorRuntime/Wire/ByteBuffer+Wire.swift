import NIOCore

extension String {
    /// The longest prefix of at most `maxBytes` UTF-8 bytes that ends on a character boundary.
    func wirePrefix(maxBytes: Int) -> String {
        guard self.utf8.count > maxBytes else { return self }
        var end = self.utf8.index(self.utf8.startIndex, offsetBy: maxBytes)
        while end > self.startIndex, self.utf8[end] & 0xC0 == 0x80 { end = self.utf8.index(before: end) }
        return String(self[..<end])
    }
}

// Primitive field codecs of the wire: every read is bounds-checked and throws `WireError` instead of trapping.
extension ByteBuffer {
    /// Writes a string of at most 65,535 UTF-8 bytes; a longer one is cut there (at a character boundary).
    /// Names on the wire are far shorter; only text that echoes input (an error naming a hostile recipient)
    /// could be longer, and encoding it must never trap.
    mutating func writeWireString(_ string: String) {
        let text = string.wirePrefix(maxBytes: Int(UInt16.max))
        self.writeInteger(UInt16(text.utf8.count))
        self.writeString(text)
    }

    mutating func readWireString(_ field: StaticString) throws -> String {
        guard let length = self.readInteger(as: UInt16.self),
            let string = self.readString(length: Int(length))
        else { throw WireError.malformed("truncated string field '\(field)'") }
        return string
    }

    mutating func writeWireBlob(_ blob: ByteBuffer) {
        self.writeInteger(UInt32(blob.readableBytes))
        var blob = blob
        self.writeBuffer(&blob)
    }

    mutating func readWireBlob(_ field: StaticString) throws -> ByteBuffer {
        guard let length = self.readInteger(as: UInt32.self),
            let slice = self.readSlice(length: Int(length))
        else { throw WireError.malformed("truncated blob field '\(field)'") }
        return slice
    }

    mutating func readWireInteger<T: FixedWidthInteger>(_ field: StaticString, as: T.Type = T.self) throws -> T {
        guard let value = self.readInteger(as: T.self) else {
            throw WireError.malformed("truncated integer field '\(field)'")
        }
        return value
    }

    mutating func readWireBytes(_ field: StaticString, count: Int) throws -> [UInt8] {
        guard let bytes = self.readBytes(length: count) else {
            throw WireError.malformed("truncated bytes field '\(field)'")
        }
        return bytes
    }

    /// Ends decoding of a message body: trailing garbage is a protocol error, not something to ignore.
    func expectFullyRead(_ message: StaticString) throws {
        guard self.readableBytes == 0 else {
            throw WireError.malformed("\(self.readableBytes) unexpected trailing bytes in \(message)")
        }
    }
}
