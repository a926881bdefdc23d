import Foundation
import NIOCore

/// Encodes `Encodable` values in `BinaryFormat`.
///
/// Every value is written straight into one growing buffer: a container writes its tag and a length
/// placeholder, its entries follow, and the length is patched when the value's `encode(to:)` returns. Only
/// containers handed out for later use (`nestedContainer`, `superEncoder`) are built aside and inserted at
/// their place when their parent finishes.
public struct BinaryEncoder {
    public var userInfo: [CodingUserInfoKey: Any] = [:]

    public init() {}

    public func encode<Value: Encodable>(_ value: Value) throws -> ByteBuffer {
        let output = _BinaryOutput(ByteBufferAllocator().buffer(capacity: 128))
        try BinaryEncoding.encode(value, to: output, parent: nil, key: nil, userInfo: self.userInfo)
        return output.buffer
    }
}

/// The buffer every value of one encoding appends to.
final class _BinaryOutput {
    var buffer: ByteBuffer

    init(_ buffer: ByteBuffer = ByteBuffer()) {
        self.buffer = buffer
    }

    /// Puts `bytes` at `offset`, moving what follows (only for containers that were built aside).
    func insert(_ bytes: ByteBuffer, at offset: Int) {
        let tail = self.buffer.getBytes(at: offset, length: self.buffer.writerIndex - offset) ?? []
        self.buffer.moveWriterIndex(to: offset)
        var bytes = bytes
        self.buffer.writeBuffer(&bytes)
        self.buffer.writeBytes(tail)
    }
}

enum BinaryEncoding {
    /// Appends `value` as one tagged value: primitives and byte arrays directly, anything else through its
    /// `encode(to:)`.
    static func encode<Value: Encodable>(
        _ value: Value,
        to output: _BinaryOutput,
        parent: _BinaryEncoder?,
        key: (any CodingKey)?,
        userInfo: [CodingUserInfoKey: Any]
    ) throws {
        if Self.encodePrimitive(value, into: &output.buffer) { return }
        let encoder = _BinaryEncoder(output: output, parent: parent, key: key, userInfo: userInfo)
        try value.encode(to: encoder)
        encoder.finish()
    }

    /// Metatype identity checks (pointer compares) rather than `is` casts: this runs for every value.
    @inline(__always)
    static func encodePrimitive<Value>(_ value: Value, into out: inout ByteBuffer) -> Bool {
        func cast<T>(_: T.Type) -> T { unsafeBitCast(value, to: T.self) }
        if Value.self == String.self {
            out.writeBinaryString(cast(String.self))
        } else if Value.self == Int.self {
            Self.writeSigned(Int64(cast(Int.self)), into: &out)
        } else if Value.self == Bool.self {
            out.writeInteger((cast(Bool.self) ? BinaryFormat.Tag.true : .false).rawValue)
        } else if Value.self == Double.self {
            out.writeInteger(BinaryFormat.Tag.float64.rawValue)
            out.writeInteger(cast(Double.self).bitPattern)
        } else if Value.self == [UInt8].self {
            let bytes = cast([UInt8].self)
            out.writeBinaryBytes(bytes, count: bytes.count)
        } else if Value.self == Data.self {
            let data = cast(Data.self)
            out.writeBinaryBytes(data, count: data.count)
        } else if Value.self == ByteBuffer.self {
            let buffer = cast(ByteBuffer.self)
            out.writeBinaryBytes(buffer.readableBytesView, count: buffer.readableBytes)
        } else if Value.self == Int64.self {
            Self.writeSigned(cast(Int64.self), into: &out)
        } else if Value.self == Int32.self {
            Self.writeSigned(Int64(cast(Int32.self)), into: &out)
        } else if Value.self == Int16.self {
            Self.writeSigned(Int64(cast(Int16.self)), into: &out)
        } else if Value.self == Int8.self {
            Self.writeSigned(Int64(cast(Int8.self)), into: &out)
        } else if Value.self == UInt.self {
            Self.writeUnsigned(UInt64(cast(UInt.self)), into: &out)
        } else if Value.self == UInt64.self {
            Self.writeUnsigned(cast(UInt64.self), into: &out)
        } else if Value.self == UInt32.self {
            Self.writeUnsigned(UInt64(cast(UInt32.self)), into: &out)
        } else if Value.self == UInt16.self {
            Self.writeUnsigned(UInt64(cast(UInt16.self)), into: &out)
        } else if Value.self == UInt8.self {
            Self.writeUnsigned(UInt64(cast(UInt8.self)), into: &out)
        } else if Value.self == Float.self {
            out.writeInteger(BinaryFormat.Tag.float32.rawValue)
            out.writeInteger(cast(Float.self).bitPattern)
        } else {
            return false
        }
        return true
    }

    static func writeSigned(_ value: Int64, into out: inout ByteBuffer) {
        out.writeInteger(BinaryFormat.Tag.signed.rawValue)
        out.writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    static func writeUnsigned(_ value: UInt64, into out: inout ByteBuffer) {
        out.writeInteger(BinaryFormat.Tag.unsigned.rawValue)
        out.writeVarint(value)
    }
}

/// The encoder of one composite value; its container writes into the shared output.
final class _BinaryEncoder: Encoder {
    enum State {
        case empty
        /// A single value was written.
        case single
        /// A container whose length placeholder is at `lengthIndex`; `deferred` are pieces built aside, with
        /// the offsets they belong at.
        case container(lengthIndex: Int, deferred: [(offset: Int, encoder: _BinaryEncoder)])
    }

    let output: _BinaryOutput
    let parent: _BinaryEncoder?
    let key: (any CodingKey)?
    let userInfo: [CodingUserInfoKey: Any]
    var state = State.empty

    init(output: _BinaryOutput, parent: _BinaryEncoder?, key: (any CodingKey)?, userInfo: [CodingUserInfoKey: Any]) {
        self.output = output
        self.parent = parent
        self.key = key
        self.userInfo = userInfo
    }

    /// An encoder for a piece that the caller may fill after later siblings: it writes into its own buffer.
    func aside(key: any CodingKey) -> _BinaryEncoder {
        _BinaryEncoder(output: _BinaryOutput(), parent: self, key: key, userInfo: self.userInfo)
    }

    /// Built only when asked for: the common path never needs it.
    var codingPath: [any CodingKey] {
        var path: [any CodingKey] = []
        var node: _BinaryEncoder? = self
        while let current = node {
            if let key = current.key { path.append(key) }
            node = current.parent
        }
        return path.reversed()
    }

    /// Starts this value's container (once; later requests share it).
    private func openContainer(_ tag: BinaryFormat.Tag) {
        guard case .empty = self.state else { return }
        self.output.buffer.writeInteger(tag.rawValue)
        self.state = .container(lengthIndex: self.output.buffer.writerIndex, deferred: [])
        self.output.buffer.writeInteger(UInt32(0))
    }

    /// Remembers `piece` to be inserted at the current end of the output when this value finishes.
    func deferPiece(_ piece: _BinaryEncoder) {
        guard case .container(let lengthIndex, var deferred) = self.state else { return }
        deferred.append((self.output.buffer.writerIndex, piece))
        self.state = .container(lengthIndex: lengthIndex, deferred: deferred)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        self.openContainer(.keyed)
        return KeyedEncodingContainer(_BinaryKeyedEncodingContainer<Key>(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        self.openContainer(.unkeyed)
        return _BinaryUnkeyedEncodingContainer(encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        _BinarySingleValueEncodingContainer(encoder: self)
    }

    /// Completes this value in the output: inserts the pieces built aside and patches the length.
    func finish() {
        switch self.state {
        case .single:
            return
        case .empty:
            // A value that encoded nothing reads back as an empty keyed container.
            self.output.buffer.writeInteger(BinaryFormat.Tag.keyed.rawValue)
            self.output.buffer.writeInteger(UInt32(0))
        case .container(let lengthIndex, let deferred):
            // Last first, so that the earlier offsets stay valid.
            for (offset, piece) in deferred.reversed() {
                piece.finish()
                self.output.insert(piece.output.buffer, at: offset)
            }
            let length = self.output.buffer.writerIndex - lengthIndex - 4
            self.output.buffer.setInteger(UInt32(length), at: lengthIndex)
        }
    }
}

extension ByteBuffer {
    /// A keyed entry's key: a string as `length << 1`, its bytes; an integer key (`CodingKey.intValue`) as the
    /// marker 1 and the zigzagged integer, which is shorter and compares without text.
    mutating func writeBinaryKey(_ key: some CodingKey) {
        if let int = key.intValue {
            self.writeInteger(UInt8(1))
            let value = Int64(int)
            self.writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
        } else {
            let name = key.stringValue
            self.writeVarint(UInt64(name.utf8.count) << 1)
            self.writeString(name)
        }
    }
}

struct _BinaryKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: _BinaryEncoder
    let output: _BinaryOutput

    init(encoder: _BinaryEncoder) {
        self.encoder = encoder
        self.output = encoder.output
    }

    var codingPath: [any CodingKey] { self.encoder.codingPath }

    mutating func encodeNil(forKey key: Key) throws {
        self.output.buffer.writeBinaryKey(key)
        self.output.buffer.writeInteger(BinaryFormat.Tag.null.rawValue)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        self.output.buffer.writeBinaryKey(key)
        try BinaryEncoding.encode(
            value, to: self.output, parent: self.encoder, key: key, userInfo: self.encoder.userInfo)
    }

    mutating func encode(_ value: String, forKey key: Key) throws {
        self.output.buffer.writeBinaryKey(key)
        self.output.buffer.writeBinaryString(value)
    }

    mutating func encode(_ value: Int, forKey key: Key) throws {
        self.output.buffer.writeBinaryKey(key)
        BinaryEncoding.writeSigned(Int64(value), into: &self.output.buffer)
    }

    private func aside(_ key: Key) -> _BinaryEncoder {
        self.output.buffer.writeBinaryKey(key)
        let piece = self.encoder.aside(key: key)
        self.encoder.deferPiece(piece)
        return piece
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type,
        forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        self.aside(key).container(keyedBy: NestedKey.self)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        self.aside(key).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        self.superEncoder(forKey: Key(stringValue: "super") ?? Key(intValue: 0)!)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        self.aside(key)
    }
}

struct _BinaryUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let encoder: _BinaryEncoder
    let output: _BinaryOutput
    private(set) var count = 0

    init(encoder: _BinaryEncoder) {
        self.encoder = encoder
        self.output = encoder.output
    }

    var codingPath: [any CodingKey] { self.encoder.codingPath }

    mutating func encodeNil() throws {
        self.output.buffer.writeInteger(BinaryFormat.Tag.null.rawValue)
        self.count += 1
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try BinaryEncoding.encode(
            value, to: self.output, parent: self.encoder, key: _IndexKey(self.count), userInfo: self.encoder.userInfo)
        self.count += 1
    }

    private mutating func aside() -> _BinaryEncoder {
        let piece = self.encoder.aside(key: _IndexKey(self.count))
        self.encoder.deferPiece(piece)
        self.count += 1
        return piece
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        self.aside().container(keyedBy: NestedKey.self)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        self.aside().unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        self.aside()
    }
}

struct _BinarySingleValueEncodingContainer: SingleValueEncodingContainer {
    let encoder: _BinaryEncoder

    var codingPath: [any CodingKey] { self.encoder.codingPath }

    /// The value takes this encoder's place in the output, so it can be written once only.
    private func claim() throws {
        guard case .empty = self.encoder.state else {
            throw EncodingError.invalidValue(
                (), .init(codingPath: self.codingPath, debugDescription: "a single value container was written twice"))
        }
        self.encoder.state = .single
    }

    mutating func encodeNil() throws {
        try self.claim()
        self.encoder.output.buffer.writeInteger(BinaryFormat.Tag.null.rawValue)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try self.claim()
        try BinaryEncoding.encode(
            value, to: self.encoder.output, parent: self.encoder.parent, key: self.encoder.key,
            userInfo: self.encoder.userInfo)
    }
}

struct _IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "\(self.intValue ?? 0)" }
    init(_ index: Int) { self.intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}
