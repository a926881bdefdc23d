import NIOCore

// Primitive field codecs of the wire: every read is bounds-checked and throws `WireError` instead of trapping.
extension ByteBuffer {
    mutating func writeWireString(_ string: String) {
        let start = self.writerIndex
        self.writeInteger(UInt16(0))
        let count = self.writeString(string)
        precondition(count <= Int(UInt16.max), "wire strings are at most 65535 bytes")
        self.setInteger(UInt16(count), at: start)
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
