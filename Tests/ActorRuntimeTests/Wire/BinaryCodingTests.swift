import ActorRuntimeTestSupport
import Foundation
import NIOCore
import Testing

@testable import ActorRuntime

@Suite struct BinaryCodingTests {
    struct Item: Codable, Equatable {
        var id: String
        var quantity: Int
        var price: Double
        var note: String?
        var flags: [Bool]
    }

    enum Status: String, Codable { case pending, completed }

    enum Event: Codable, Equatable {
        case created(orderID: String, items: [Item])
        case cancelled(reason: String?)
    }

    struct Everything: Codable, Equatable {
        var int8: Int8 = -8, int16: Int16 = -16, int32: Int32 = .min, int64: Int64 = .max, int: Int = -1
        var uint8: UInt8 = 255, uint16: UInt16 = 16, uint32: UInt32 = .max, uint64: UInt64 = .max, uint: UInt = 0
        var float: Float = 1.5, double: Double = -0.25, bool = true, string = "ünïcødé ✓ '; DROP TABLE x;--"
        var bytes: [UInt8] = [0, 1, 255], data = Data([9, 8, 7])
        var optionalSome: Int? = 5, optionalNone: Int? = nil
        var nested: [[String?]] = [["a", nil], []]
        var map: [String: Item] = [
            "x": Item(id: "p-1", quantity: 11, price: 100, note: nil, flags: []),
            "y": Item(id: "p-2", quantity: 0, price: 0.5, note: "n", flags: [true, false]),
        ]
        var intMap: [Int: String] = [1: "one", -2: "minus two"]
        var status = Status.completed
        var events: [Event] = [.created(orderID: "o-1", items: []), .cancelled(reason: nil)]
        var date = Date(timeIntervalSince1970: 1_700_000_000.5)
        var uuid = UUID(uuidString: "123E4567-E89B-12D3-A456-426614174000")!
    }

    @Test func roundTripsEveryKindOfValue() throws {
        let value = Everything()
        let bytes = try BinaryEncoder().encode(value)
        #expect(try BinaryDecoder().decode(Everything.self, from: bytes) == value)
        // Top-level primitives and collections too.
        #expect(try BinaryDecoder().decode(String.self, from: BinaryEncoder().encode("x")) == "x")
        #expect(try BinaryDecoder().decode([Int?].self, from: BinaryEncoder().encode([1, nil, 3])) == [1, nil, 3])
    }

    @Test func isSmallerThanJSONForTypicalMessages() throws {
        let item = Item(id: "product-1", quantity: 11, price: 100_000, note: nil, flags: [true])
        let binary = try BinaryEncoder().encode([item, item, item])
        let json = try JSONEncoder().encode([item, item, item])
        #expect(binary.readableBytes < json.count)
        let payload = [UInt8](repeating: 7, count: 256)
        #expect(try BinaryEncoder().encode(payload).readableBytes == 256 + 3)
    }

    @Test func toleratesMissingAndReorderedKeysLikeJSON() throws {
        struct V1: Codable { var a: Int; var b: String; var extra: [Int] }
        struct V2: Codable, Equatable { var b: String; var a: Int; var added: String? }
        let decoded = try BinaryDecoder().decode(V2.self, from: BinaryEncoder().encode(V1(a: 1, b: "two", extra: [3])))
        #expect(decoded == V2(b: "two", a: 1, added: nil))
        struct Needs: Codable { var missing: Int }
        #expect(throws: DecodingError.self) {
            try BinaryDecoder().decode(Needs.self, from: BinaryEncoder().encode(V1(a: 1, b: "", extra: [])))
        }
    }

    @Test func rejectsTypeMismatchesOverflowAndTruncation() throws {
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Int.self, from: BinaryEncoder().encode("1")) }
        #expect(throws: DecodingError.self) {
            try BinaryDecoder().decode(UInt8.self, from: BinaryEncoder().encode(256))
        }
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(UInt.self, from: BinaryEncoder().encode(-1)) }
        let full = try BinaryEncoder().encode(Everything())
        for cut in stride(from: 0, to: full.readableBytes, by: 7) {
            let truncated = full.getSlice(at: 0, length: cut)!
            #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Everything.self, from: truncated) }
        }
    }

    @Test func survivesRandomBytes() {
        var rng = SeededGenerator(seed: 99)
        var decoded = 0
        for _ in 0..<10_000 {
            let count = Int.random(in: 0...80, using: &rng)
            var bytes = ByteBuffer(bytes: (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) })
            if count > 0 { bytes.setInteger(UInt8.random(in: 0...10, using: &rng), at: 0) }  // plausible tag
            if (try? BinaryDecoder().decode(Everything.self, from: bytes)) != nil { decoded += 1 }
            _ = try? BinaryDecoder().decode([String: [Int?]].self, from: bytes)
            _ = try? BinaryDecoder().decode(Event.self, from: bytes)
        }
        #expect(decoded == 0)
    }

    /// Writes a nested container and a super encoder after later siblings: they are built aside and land at
    /// their own place.
    struct Interleaved: Codable, Equatable {
        var first: [Int]
        var inner: String
        var last: String

        enum CodingKeys: String, CodingKey { case first, inner, last, base }
        enum InnerKeys: String, CodingKey { case value }

        init(first: [Int], inner: String, last: String) {
            (self.first, self.inner, self.last) = (first, inner, last)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            var nested = container.nestedContainer(keyedBy: InnerKeys.self, forKey: .inner)
            var list = container.nestedUnkeyedContainer(forKey: .first)
            let base = container.superEncoder(forKey: .base)
            try container.encode(self.last, forKey: .last)
            try nested.encode(self.inner, forKey: .value)
            for value in self.first { try list.encode(value) }
            var single = base.singleValueContainer()
            try single.encode(self.first.count)
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.last = try container.decode(String.self, forKey: .last)
            self.inner = try container.nestedContainer(keyedBy: InnerKeys.self, forKey: .inner).decode(
                String.self, forKey: .value)
            var list = try container.nestedUnkeyedContainer(forKey: .first)
            var first: [Int] = []
            while !list.isAtEnd { first.append(try list.decode(Int.self)) }
            self.first = first
            guard try container.decode(Int.self, forKey: .base) == first.count else {
                throw DecodingError.dataCorruptedError(forKey: .base, in: container, debugDescription: "base")
            }
        }
    }

    struct IntKeyed: Codable, Equatable {
        var source: String
        var count: Int
        enum CodingKeys: Int, CodingKey { case source, count }
    }

    struct StringKeyed: Codable, Equatable {
        var source: String
        var count: Int
    }

    @Test func containersBuiltAsideLandInPlaceAndIntegerKeysAreShorter() throws {
        let value = Interleaved(first: [1, -2, 3], inner: "in", last: "end")
        #expect(try BinaryDecoder().decode(Interleaved.self, from: BinaryEncoder().encode(value)) == value)
        let extremes: [Int: Int] = [.min: 1, .max: 2, 0: 3, -1: 4]
        #expect(try BinaryDecoder().decode([Int: Int].self, from: BinaryEncoder().encode(extremes)) == extremes)
        let intKeyed = try BinaryEncoder().encode(IntKeyed(source: "order", count: 7))
        let stringKeyed = try BinaryEncoder().encode(StringKeyed(source: "order", count: 7))
        #expect(intKeyed.readableBytes + "source".count + "count".count - 2 == stringKeyed.readableBytes)
        #expect(try BinaryDecoder().decode(IntKeyed.self, from: intKeyed) == IntKeyed(source: "order", count: 7))
        // The two kinds of key never match each other.
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(StringKeyed.self, from: intKeyed) }
    }

    struct TwiceSingle: Encodable {
        func encode(to encoder: any Encoder) throws {
            var single = encoder.singleValueContainer()
            try single.encode(1)
            try single.encode(2)
        }
    }

    @Test func aSingleValueWrittenTwiceIsAnErrorNotCorruptOutput() {
        #expect(throws: EncodingError.self) { _ = try BinaryEncoder().encode(TwiceSingle()) }
    }
}
