/// Order lines as the JSON of `order_history.order_items` (`[{"product_id":…,"quantity":…,"name":…,"price":…}]`),
/// written and read by hand: the read model touches it for every order, and Foundation's coders were a
/// measurable share of the CPU. Reads any key order and spacing (jsonb's text output reorders keys).
enum ItemsJSON {
    static func encode(_ items: [Item]) -> String {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(items.count * 64 + 2)
        for (index, item) in items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"product_id":"#.utf8)
            Self.string(item.productID, into: &out)
            if let quantity = item.quantity { out.append(contentsOf: #","quantity":\#(quantity)"#.utf8) }
            if let name = item.name {
                out.append(contentsOf: #","name":"#.utf8)
                Self.string(name, into: &out)
            }
            if let price = item.price { out.append(contentsOf: #","price":\#(price)"#.utf8) }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    private static func string(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0..<0x20:
                let digits = Array("0123456789abcdef".utf8)
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func decode(_ text: String) throws -> [Item] {
        var parser = Parser(bytes: Array(text.utf8))
        return try parser.items()
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        mutating func skipSpace() {
            while self.index < self.bytes.count, [9, 10, 13, 32].contains(self.bytes[self.index]) { self.index += 1 }
        }

        mutating func expect(_ byte: UInt8) throws {
            self.skipSpace()
            guard self.index < self.bytes.count, self.bytes[self.index] == byte else {
                throw PayloadError("order_items is not JSON")
            }
            self.index += 1
        }

        mutating func peek() -> UInt8? {
            self.skipSpace()
            return self.index < self.bytes.count ? self.bytes[self.index] : nil
        }

        mutating func items() throws -> [Item] {
            try self.expect(UInt8(ascii: "["))
            var items: [Item] = []
            if self.peek() == UInt8(ascii: "]") {
                self.index += 1
                return items
            }
            while true {
                items.append(try self.item())
                if self.peek() == UInt8(ascii: ",") {
                    self.index += 1
                    continue
                }
                try self.expect(UInt8(ascii: "]"))
                return items
            }
        }

        mutating func item() throws -> Item {
            try self.expect(UInt8(ascii: "{"))
            var item = Item(productID: "")
            if self.peek() == UInt8(ascii: "}") {
                self.index += 1
                return item
            }
            while true {
                let key = try self.string()
                try self.expect(UInt8(ascii: ":"))
                switch key {
                case "product_id": item.productID = try self.string()
                case "name": item.name = try self.optional { try $0.string() }
                case "quantity": item.quantity = try self.optional { try $0.int() }
                case "price": item.price = try self.optional { try $0.int() }
                default: throw PayloadError("unexpected key \(key) in order_items")
                }
                if self.peek() == UInt8(ascii: ",") {
                    self.index += 1
                    continue
                }
                try self.expect(UInt8(ascii: "}"))
                return item
            }
        }

        mutating func optional<T>(_ read: (inout Parser) throws -> T) throws -> T? {
            if self.peek() == UInt8(ascii: "n") {
                guard self.bytes[self.index...].starts(with: "null".utf8) else {
                    throw PayloadError("bad literal in order_items")
                }
                self.index += 4
                return nil
            }
            return try read(&self)
        }

        mutating func int() throws -> Int {
            self.skipSpace()
            var value = 0
            var negative = false
            if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "-") {
                negative = true
                self.index += 1
            }
            let start = self.index
            while self.index < self.bytes.count, (48...57).contains(self.bytes[self.index]) {
                let (product, overflow) = value.multipliedReportingOverflow(by: 10)
                guard !overflow else { throw PayloadError("number too large in order_items") }
                value = product + Int(self.bytes[self.index] - 48)
                self.index += 1
            }
            guard self.index > start else { throw PayloadError("number expected in order_items") }
            return negative ? -value : value
        }

        mutating func string() throws -> String {
            try self.expect(UInt8(ascii: "\""))
            var out: [UInt8] = []
            while self.index < self.bytes.count {
                let byte = self.bytes[self.index]
                self.index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard self.index < self.bytes.count else { break }
                    let escaped = self.bytes[self.index]
                    self.index += 1
                    switch escaped {
                    case UInt8(ascii: "n"): out.append(10)
                    case UInt8(ascii: "t"): out.append(9)
                    case UInt8(ascii: "r"): out.append(13)
                    case UInt8(ascii: "b"): out.append(8)
                    case UInt8(ascii: "f"): out.append(12)
                    case UInt8(ascii: "u"):
                        guard self.index + 4 <= self.bytes.count,
                            let code = UInt32(
                                String(decoding: self.bytes[self.index..<self.index + 4], as: UTF8.self), radix: 16)
                        else { throw PayloadError("bad escape in order_items") }
                        self.index += 4
                        // Surrogate pairs do not occur in product names we write; a lone one becomes U+FFFD.
                        out.append(contentsOf: String(UnicodeScalar(code).map(Character.init) ?? "\u{FFFD}").utf8)
                    default: out.append(escaped)
                    }
                default:
                    out.append(byte)
                }
            }
            throw PayloadError("unterminated string in order_items")
        }
    }
}
