import Foundation
import NIOCore

/// Encodes `Encodable` values in `BinaryFormat`.
public struct BinaryEncoder {
    public var userInfo: [CodingUserInfoKey: Any] = [:]

    public init() {}

    public func encode<Value: Encodable>(_ value: Value) throws -> ByteBuffer {
        var out = ByteBuffer()
        try BinaryEncoding.encode(value, into: &out, parent: nil, key: nil, userInfo: self.userInfo)
        return out
    }
}

enum BinaryEncoding {
    /// Writes `value` as one tagged value: primitives and byte arrays directly, anything else through its
    /// `encode(to:)`.
    static func encode<Value: Encodable>(
        _ value: Value,
        into out: inout ByteBuffer,
        parent: _BinaryEncoder?,
        key: (any CodingKey)?,
        userInfo: [CodingUserInfoKey: Any]
    ) throws {
        if Self.encodePrimitive(value, into: &out) { return }
        let encoder = _BinaryEncoder(parent: parent, key: key, userInfo: userInfo)
        try value.encode(to: encoder)
        encoder.finish(into: &out)
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

/// The bytes of one keyed or unkeyed container. Nested containers handed out by `nestedContainer` or
/// `superEncoder` may be written after later siblings, so they are kept as pieces and joined at the end.
final class _BinaryContainerStorage {
    enum Piece {
        case bytes(ByteBuffer)
        case nested(_BinaryContainerStorage)
        case encoder(_BinaryEncoder)
    }

    let tag: BinaryFormat.Tag
    var current = ByteBuffer()
    private var pieces: [Piece] = []

    init(tag: BinaryFormat.Tag) {
        self.tag = tag
    }

    func appendDeferred(_ piece: Piece) {
        self.pieces.append(.bytes(self.current))
        self.current = ByteBuffer()
        self.pieces.append(piece)
    }

    func finish(into out: inout ByteBuffer) {
        out.writeInteger(self.tag.rawValue)
        let lengthIndex = out.writerIndex
        out.writeInteger(UInt32(0))
        for piece in self.pieces {
            switch piece {
            case .bytes(var bytes): out.writeBuffer(&bytes)
            case .nested(let storage): storage.finish(into: &out)
            case .encoder(let encoder): encoder.finish(into: &out)
            }
        }
        out.writeBuffer(&self.current)
        out.setInteger(UInt32(out.writerIndex - lengthIndex - 4), at: lengthIndex)
    }
}

final class _BinaryEncoder: Encoder {
    let parent: _BinaryEncoder?
    let key: (any CodingKey)?
    let userInfo: [CodingUserInfoKey: Any]
    private var storage: _BinaryContainerStorage?
    var single: ByteBuffer?

    init(parent: _BinaryEncoder?, key: (any CodingKey)?, userInfo: [CodingUserInfoKey: Any]) {
        self.parent = parent
        self.key = key
        self.userInfo = userInfo
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

    private func storage(_ tag: BinaryFormat.Tag) -> _BinaryContainerStorage {
        if let storage = self.storage { return storage }
        let storage = _BinaryContainerStorage(tag: tag)
        self.storage = storage
        return storage
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(_BinaryKeyedEncodingContainer<Key>(encoder: self, storage: self.storage(.keyed)))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        _BinaryUnkeyedEncodingContainer(encoder: self, storage: self.storage(.unkeyed))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        _BinarySingleValueEncodingContainer(encoder: self)
    }

    func finish(into out: inout ByteBuffer) {
        if let storage = self.storage {
            storage.finish(into: &out)
        } else if var single = self.single {
            out.writeBuffer(&single)
        } else {
            // A value that encoded nothing reads back as an empty keyed container.
            out.writeInteger(BinaryFormat.Tag.keyed.rawValue)
            out.writeInteger(UInt32(0))
        }
    }
}

struct _BinaryKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: _BinaryEncoder
    let storage: _BinaryContainerStorage

    var codingPath: [any CodingKey] { self.encoder.codingPath }

    private func writeKey(_ key: Key) {
        let name = key.stringValue
        self.storage.current.writeVarint(UInt64(name.utf8.count))
        self.storage.current.writeString(name)
    }

    mutating func encodeNil(forKey key: Key) throws {
        self.writeKey(key)
        self.storage.current.writeInteger(BinaryFormat.Tag.null.rawValue)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        self.writeKey(key)
        try BinaryEncoding.encode(
            value, into: &self.storage.current, parent: self.encoder, key: key, userInfo: self.encoder.userInfo)
    }

    mutating func encode(_ value: String, forKey key: Key) throws {
        self.writeKey(key)
        self.storage.current.writeBinaryString(value)
    }
    mutating func encode(_ value: Int, forKey key: Key) throws {
        self.writeKey(key)
        BinaryEncoding.writeSigned(Int64(value), into: &self.storage.current)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type,
        forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        self.writeKey(key)
        let nested = _BinaryContainerStorage(tag: .keyed)
        self.storage.appendDeferred(.nested(nested))
        let encoder = _BinaryEncoder(parent: self.encoder, key: key, userInfo: self.encoder.userInfo)
        return KeyedEncodingContainer(_BinaryKeyedEncodingContainer<NestedKey>(encoder: encoder, storage: nested))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        self.writeKey(key)
        let nested = _BinaryContainerStorage(tag: .unkeyed)
        self.storage.appendDeferred(.nested(nested))
        let encoder = _BinaryEncoder(parent: self.encoder, key: key, userInfo: self.encoder.userInfo)
        return _BinaryUnkeyedEncodingContainer(encoder: encoder, storage: nested)
    }

    mutating func superEncoder() -> any Encoder {
        self.superEncoder(forKey: Key(stringValue: "super") ?? Key(intValue: 0)!)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        self.writeKey(key)
        let encoder = _BinaryEncoder(parent: self.encoder, key: key, userInfo: self.encoder.userInfo)
        self.storage.appendDeferred(.encoder(encoder))
        return encoder
    }
}

struct _BinaryUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let encoder: _BinaryEncoder
    let storage: _BinaryContainerStorage
    private(set) var count = 0

    init(encoder: _BinaryEncoder, storage: _BinaryContainerStorage) {
        self.encoder = encoder
        self.storage = storage
    }

    var codingPath: [any CodingKey] { self.encoder.codingPath }

    mutating func encodeNil() throws {
        self.storage.current.writeInteger(BinaryFormat.Tag.null.rawValue)
        self.count += 1
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try BinaryEncoding.encode(
            value, into: &self.storage.current, parent: self.encoder, key: _IndexKey(self.count),
            userInfo: self.encoder.userInfo)
        self.count += 1
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        let nested = _BinaryContainerStorage(tag: .keyed)
        self.storage.appendDeferred(.nested(nested))
        let encoder = _BinaryEncoder(parent: self.encoder, key: _IndexKey(self.count), userInfo: self.encoder.userInfo)
        self.count += 1
        return KeyedEncodingContainer(_BinaryKeyedEncodingContainer<NestedKey>(encoder: encoder, storage: nested))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = _BinaryContainerStorage(tag: .unkeyed)
        self.storage.appendDeferred(.nested(nested))
        let encoder = _BinaryEncoder(parent: self.encoder, key: _IndexKey(self.count), userInfo: self.encoder.userInfo)
        self.count += 1
        return _BinaryUnkeyedEncodingContainer(encoder: encoder, storage: nested)
    }

    mutating func superEncoder() -> any Encoder {
        let encoder = _BinaryEncoder(parent: self.encoder, key: _IndexKey(self.count), userInfo: self.encoder.userInfo)
        self.storage.appendDeferred(.encoder(encoder))
        self.count += 1
        return encoder
    }
}

struct _BinarySingleValueEncodingContainer: SingleValueEncodingContainer {
    let encoder: _BinaryEncoder

    var codingPath: [any CodingKey] { self.encoder.codingPath }

    mutating func encodeNil() throws {
        var buffer = ByteBuffer()
        buffer.writeInteger(BinaryFormat.Tag.null.rawValue)
        self.encoder.single = buffer
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        var buffer = ByteBuffer()
        try BinaryEncoding.encode(value, into: &buffer, parent: self.encoder.parent, key: self.encoder.key,
                                  userInfo: self.encoder.userInfo)
        self.encoder.single = buffer
    }
}

struct _IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "\(self.intValue ?? 0)" }
    init(_ index: Int) { self.intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}
