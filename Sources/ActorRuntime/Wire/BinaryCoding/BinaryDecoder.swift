import Foundation
import NIOCore

/// Decodes `Decodable` values from `BinaryFormat`. Malformed input throws `DecodingError`; it never traps.
public struct BinaryDecoder {
    public var userInfo: [CodingUserInfoKey: Any] = [:]

    public init() {}

    public func decode<Value: Decodable>(_ type: Value.Type, from buffer: ByteBuffer) throws -> Value {
        var buffer = buffer
        guard let value = buffer.readBinaryValue() else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "truncated or malformed value"))
        }
        guard buffer.readableBytes == 0 else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "trailing bytes after value"))
        }
        return try BinaryDecoding.decode(Value.self, from: value, parent: nil, key: nil, userInfo: self.userInfo)
    }
}

enum BinaryDecoding {
    /// Decodes one tagged value (`value` holds exactly it).
    static func decode<Value: Decodable>(
        _ type: Value.Type,
        from value: ByteBuffer,
        parent: _BinaryDecoder?,
        key: (any CodingKey)?,
        userInfo: [CodingUserInfoKey: Any]
    ) throws -> Value {
        if let primitive = try _BinaryDecoder.decodePrimitive(Value.self, from: value, parent: parent, key: key) {
            return primitive
        }
        let decoder = _BinaryDecoder(value: value, parent: parent, key: key, userInfo: userInfo)
        guard decoder.depth <= BinaryFormat.maxDepth else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "nesting deeper than \(BinaryFormat.maxDepth)")
            )
        }
        return try Value(from: decoder)
    }
}

final class _BinaryDecoder: Decoder {
    let value: ByteBuffer
    let parent: _BinaryDecoder?
    let key: (any CodingKey)?
    let userInfo: [CodingUserInfoKey: Any]
    let depth: Int
    /// Where the keyed container's next lookup starts.
    var keyedCursor = 0

    init(value: ByteBuffer, parent: _BinaryDecoder?, key: (any CodingKey)?, userInfo: [CodingUserInfoKey: Any]) {
        self.value = value
        self.parent = parent
        self.key = key
        self.userInfo = userInfo
        self.depth = (parent?.depth ?? 0) + 1
    }

    var codingPath: [any CodingKey] {
        var path: [any CodingKey] = []
        var node: _BinaryDecoder? = self
        while let current = node {
            if let key = current.key { path.append(key) }
            node = current.parent
        }
        return path.reversed()
    }

    private var primitive: Primitive { Primitive(value: self.value, parent: self.parent, key: self.key) }
    var tag: BinaryFormat.Tag? { self.primitive.tag }
    func corrupted(_ message: String) -> DecodingError { self.primitive.corrupted(message) }
    func mismatch<T>(_ type: T.Type) -> DecodingError { self.primitive.mismatch(type) }

    /// The body of a container value (after its tag and length).
    func containerBody(_ tag: BinaryFormat.Tag) throws -> ByteBuffer {
        guard self.tag == tag else {
            if self.tag == .null {
                throw DecodingError.valueNotFound(
                    Any.self, .init(codingPath: self.codingPath, debugDescription: "found null"))
            }
            if tag == .keyed { throw self.mismatch([String: Int].self) }
            throw self.mismatch([Int].self)
        }
        return self.value.getSlice(at: self.value.readerIndex + 5, length: self.value.readableBytes - 5)!
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(_BinaryKeyedDecodingContainer<Key>(decoder: self, body: try self.containerBody(.keyed)))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        _BinaryUnkeyedDecodingContainer(decoder: self, body: try self.containerBody(.unkeyed))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        _BinarySingleValueDecodingContainer(decoder: self)
    }

    // MARK: Primitives

    /// Reads primitives straight from a value's bytes; errors get a coding path only when they happen.
    struct Primitive {
        let value: ByteBuffer
        let parent: _BinaryDecoder?
        let key: (any CodingKey)?

        var tag: BinaryFormat.Tag? {
            self.value.getInteger(at: self.value.readerIndex, as: UInt8.self).flatMap(BinaryFormat.Tag.init(rawValue:))
        }

        var codingPath: [any CodingKey] {
            (self.parent?.codingPath ?? []) + (self.key.map { [$0] } ?? [])
        }

        func corrupted(_ message: String) -> DecodingError {
            DecodingError.dataCorrupted(.init(codingPath: self.codingPath, debugDescription: message))
        }

        func mismatch<T>(_ type: T.Type) -> DecodingError {
            let found = self.tag.map { "\($0)" } ?? "nothing"
            return DecodingError.typeMismatch(
                T.self, .init(codingPath: self.codingPath, debugDescription: "expected \(T.self), found \(found)"))
        }

        private func integer() throws -> (signed: Int64?, unsigned: UInt64?) {
            var body = self.value
            let tag = body.readInteger(as: UInt8.self).flatMap(BinaryFormat.Tag.init(rawValue:))
            guard tag == .signed || tag == .unsigned, let raw = body.readVarint() else { throw self.mismatch(Int.self) }
            if tag == .unsigned { return (raw <= UInt64(Int64.max) ? Int64(raw) : nil, raw) }
            let signed = Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
            return (signed, signed >= 0 ? UInt64(signed) : nil)
        }

        func signed<T: FixedWidthInteger & SignedInteger>(_ type: T.Type) throws -> T {
            guard let value = try self.integer().signed, let exact = T(exactly: value) else {
                throw self.corrupted("number does not fit in \(T.self)")
            }
            return exact
        }

        func unsigned<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type) throws -> T {
            guard let value = try self.integer().unsigned, let exact = T(exactly: value) else {
                throw self.corrupted("number does not fit in \(T.self)")
            }
            return exact
        }

        func lengthPrefixed(_ tag: BinaryFormat.Tag) throws -> ByteBuffer {
            var body = self.value
            guard body.readInteger(as: UInt8.self) == tag.rawValue, let length = body.readVarint(),
                length <= UInt64(body.readableBytes), let slice = body.readSlice(length: Int(length))
            else {
                if tag == .string { throw self.mismatch(String.self) }
                throw self.mismatch([UInt8].self)
            }
            return slice
        }

        func string() throws -> String {
            let bytes = try self.lengthPrefixed(.string)
            guard let string = bytes.getString(at: bytes.readerIndex, length: bytes.readableBytes) else {
                throw self.corrupted("invalid UTF-8 string")
            }
            return string
        }

        func double() throws -> Double {
            var body = self.value
            switch body.readInteger(as: UInt8.self).flatMap(BinaryFormat.Tag.init(rawValue:)) {
            case .float64: if let bits = body.readInteger(as: UInt64.self) { return Double(bitPattern: bits) }
            case .float32: if let bits = body.readInteger(as: UInt32.self) { return Double(Float(bitPattern: bits)) }
            case .signed, .unsigned: if let value = try self.integer().signed { return Double(value) }
            default: break
            }
            throw self.mismatch(Double.self)
        }

        func bool() throws -> Bool {
            switch self.tag {
            case .true: return true
            case .false: return false
            default: throw self.mismatch(Bool.self)
            }
        }
    }

    /// Decodes the types `BinaryEncoding.encodePrimitive` writes directly; `nil` for anything else.
    static func decodePrimitive<Value>(
        _ type: Value.Type,
        from value: ByteBuffer,
        parent: _BinaryDecoder?,
        key: (any CodingKey)?
    ) throws -> Value? {
        func cast<T>(_ value: T) -> Value { unsafeBitCast(value, to: Value.self) }
        let p = Primitive(value: value, parent: parent, key: key)
        if Value.self == String.self { return cast(try p.string()) }
        if Value.self == Int.self { return cast(try p.signed(Int.self)) }
        if Value.self == Bool.self { return cast(try p.bool()) }
        if Value.self == Double.self { return cast(try p.double()) }
        if Value.self == [UInt8].self { return cast(Array(try p.lengthPrefixed(.bytes).readableBytesView)) }
        if Value.self == Data.self { return cast(Data(try p.lengthPrefixed(.bytes).readableBytesView)) }
        if Value.self == ByteBuffer.self { return cast(try p.lengthPrefixed(.bytes)) }
        if Value.self == Int64.self { return cast(try p.signed(Int64.self)) }
        if Value.self == Int32.self { return cast(try p.signed(Int32.self)) }
        if Value.self == Int16.self { return cast(try p.signed(Int16.self)) }
        if Value.self == Int8.self { return cast(try p.signed(Int8.self)) }
        if Value.self == UInt.self { return cast(try p.unsigned(UInt.self)) }
        if Value.self == UInt64.self { return cast(try p.unsigned(UInt64.self)) }
        if Value.self == UInt32.self { return cast(try p.unsigned(UInt32.self)) }
        if Value.self == UInt16.self { return cast(try p.unsigned(UInt16.self)) }
        if Value.self == UInt8.self { return cast(try p.unsigned(UInt8.self)) }
        if Value.self == Float.self { return cast(Float(try p.double())) }
        return nil
    }
}

/// A keyed entry's key as read: a string's bytes, or an integer.
enum _BinaryKey {
    case string(ByteBuffer)
    case int(Int64)

    func matches(_ key: some CodingKey) -> Bool {
        switch self {
        case .int(let value): key.intValue.map { Int64($0) == value } ?? false
        case .string(let bytes): key.intValue == nil && bytes.readableBytesView.elementsEqual(key.stringValue.utf8)
        }
    }

    func codingKey<Key: CodingKey>(_ type: Key.Type) -> Key? {
        switch self {
        case .int(let value): Int(exactly: value).flatMap(Key.init(intValue:))
        case .string(let bytes):
            bytes.getString(at: bytes.readerIndex, length: bytes.readableBytes).flatMap(Key.init(stringValue:))
        }
    }
}

struct _BinaryKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: _BinaryDecoder
    let body: ByteBuffer

    init(decoder: _BinaryDecoder, body: ByteBuffer) {
        self.decoder = decoder
        self.body = body
        decoder.keyedCursor = body.readerIndex
    }

    var codingPath: [any CodingKey] { self.decoder.codingPath }

    /// Reads the entry at `index`: its key, its value, and where the next entry starts.
    private func entry(at index: Int) throws -> (key: _BinaryKey, value: ByteBuffer, next: Int) {
        var reader = self.body
        reader.moveReaderIndex(to: index)
        guard let header = reader.readVarint() else { throw self.decoder.corrupted("malformed keyed container") }
        let key: _BinaryKey
        if header == 1 {
            guard let raw = reader.readVarint() else { throw self.decoder.corrupted("malformed integer key") }
            key = .int(Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1))
        } else {
            let length = header >> 1
            guard header & 1 == 0, length <= UInt64(reader.readableBytes),
                let bytes = reader.readSlice(length: Int(length))
            else { throw self.decoder.corrupted("malformed keyed container") }
            key = .string(bytes)
        }
        guard let value = reader.readBinaryValue() else { throw self.decoder.corrupted("malformed keyed container") }
        return (key, value, reader.readerIndex)
    }

    /// Finds `key`'s value, starting where the last found entry ended (the decoder keeps that cursor, as the
    /// protocol's methods cannot mutate the container): decoding in declaration order finds each key at once.
    private func find(_ key: Key) throws -> ByteBuffer? {
        let start = self.body.readerIndex
        let end = self.body.writerIndex
        let cursor = self.decoder.keyedCursor
        var index = cursor
        var wrapped = false
        while true {
            if index >= end {
                if wrapped || cursor == start { return nil }
                wrapped = true
                index = start
            }
            if wrapped && index >= cursor { return nil }
            let entry = try self.entry(at: index)
            if entry.key.matches(key) {
                self.decoder.keyedCursor = entry.next
                return entry.value
            }
            index = entry.next
        }
    }

    private func value(for key: Key) throws -> ByteBuffer {
        guard let value = try self.find(key) else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: self.codingPath, debugDescription: "no value for key '\(key.stringValue)'"))
        }
        return value
    }

    var allKeys: [Key] {
        var keys: [Key] = []
        var index = self.body.readerIndex
        while index < self.body.writerIndex, let entry = try? self.entry(at: index) {
            if let key = entry.key.codingKey(Key.self) { keys.append(key) }
            index = entry.next
        }
        return keys
    }

    func contains(_ key: Key) -> Bool {
        (try? self.find(key)) != nil
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let value = try self.find(key) else { return true }
        return value.getInteger(at: value.readerIndex, as: UInt8.self) == BinaryFormat.Tag.null.rawValue
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let value = try self.value(for: key)
        return try BinaryDecoding.decode(
            T.self, from: value, parent: self.decoder, key: key,
            userInfo: self.decoder.userInfo)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let value = try self.find(key),
            value.getInteger(at: value.readerIndex, as: UInt8.self) != BinaryFormat.Tag.null.rawValue
        else { return nil }
        return try BinaryDecoding.decode(
            T.self, from: value, parent: self.decoder, key: key,
            userInfo: self.decoder.userInfo)
    }

    private func child(_ key: Key) throws -> _BinaryDecoder {
        _BinaryDecoder(
            value: try self.value(for: key), parent: self.decoder, key: key,
            userInfo: self.decoder.userInfo)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try self.child(key).container(keyedBy: NestedKey.self)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try self.child(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        try self.superDecoder(forKey: Key(stringValue: "super") ?? Key(intValue: 0)!)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        try self.child(key)
    }
}

struct _BinaryUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let decoder: _BinaryDecoder
    private var body: ByteBuffer
    private(set) var currentIndex = 0

    init(decoder: _BinaryDecoder, body: ByteBuffer) {
        self.decoder = decoder
        self.body = body
    }

    var codingPath: [any CodingKey] { self.decoder.codingPath }
    var count: Int? { nil }
    var isAtEnd: Bool { self.body.readableBytes == 0 }

    private mutating func next() throws -> ByteBuffer {
        guard !self.isAtEnd else {
            throw DecodingError.valueNotFound(
                Any.self, .init(codingPath: self.codingPath, debugDescription: "unkeyed container is at its end"))
        }
        guard let value = self.body.readBinaryValue() else { throw self.decoder.corrupted("malformed element") }
        self.currentIndex += 1
        return value
    }

    mutating func decodeNil() throws -> Bool {
        guard self.body.getInteger(at: self.body.readerIndex, as: UInt8.self) == BinaryFormat.Tag.null.rawValue
        else { return false }
        _ = try self.next()
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let key = _IndexKey(self.currentIndex)
        let value = try self.next()
        return try BinaryDecoding.decode(
            T.self, from: value, parent: self.decoder, key: key,
            userInfo: self.decoder.userInfo)
    }

    private mutating func child() throws -> _BinaryDecoder {
        let key = _IndexKey(self.currentIndex)
        return _BinaryDecoder(value: try self.next(), parent: self.decoder, key: key, userInfo: self.decoder.userInfo)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try self.child().container(keyedBy: NestedKey.self)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try self.child().unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        try self.child()
    }
}

struct _BinarySingleValueDecodingContainer: SingleValueDecodingContainer {
    let decoder: _BinaryDecoder

    var codingPath: [any CodingKey] { self.decoder.codingPath }

    func decodeNil() -> Bool { self.decoder.tag == .null }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try BinaryDecoding.decode(
            T.self, from: self.decoder.value, parent: self.decoder.parent,
            key: self.decoder.key, userInfo: self.decoder.userInfo)
    }
}
