import Foundation

/// A value that can be bound as a query parameter. Values travel as libpq parameters in text format,
/// never spliced into SQL.
public protocol PostgresBindable: Sendable {
    var postgresText: String { get }
    /// The value in Postgres's binary format, when it is sent that way (`bytea`): no hex on either side.
    var postgresBinary: [UInt8]? { get }
}

extension PostgresBindable {
    public var postgresBinary: [UInt8]? { nil }
}

extension String: PostgresBindable { public var postgresText: String { self } }
extension Substring: PostgresBindable { public var postgresText: String { String(self) } }
extension Int: PostgresBindable { public var postgresText: String { String(self) } }
extension Int64: PostgresBindable { public var postgresText: String { String(self) } }
extension Int32: PostgresBindable { public var postgresText: String { String(self) } }
extension Bool: PostgresBindable { public var postgresText: String { self ? "t" : "f" } }
extension Double: PostgresBindable { public var postgresText: String { String(self) } }
extension UUID: PostgresBindable { public var postgresText: String { self.uuidString.lowercased() } }

extension Date: PostgresBindable {
    /// ISO 8601 with microseconds and an explicit UTC offset, for `timestamptz` columns.
    public var postgresText: String {
        let seconds = self.timeIntervalSince1970
        let micros = Int64((seconds * 1_000_000).rounded())
        return PostgresTime.format(microsSinceEpoch: micros)
    }
}

/// `bytea`: sent in binary format (its hex text form is for display).
public struct PostgresBytes: PostgresBindable, Equatable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var postgresBinary: [UInt8]? { self.bytes }

    public var postgresText: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]("\\x".utf8)
        out.reserveCapacity(2 + self.bytes.count * 2)
        for byte in self.bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses the hex form Postgres returns for `bytea`.
    static func parse(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { Self.parse(hex: $0) }
    }

    static func parse(hex utf8: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0
        else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2 - 1)
        var i = 2
        while i < utf8.count {
            guard let high = nibble(utf8[i]), let low = nibble(utf8[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
            i += 2
        }
        return bytes
    }
}

enum PostgresTime {
    static func format(microsSinceEpoch: Int64) -> String {
        let seconds = microsSinceEpoch.quotientAndRemainder(dividingBy: 1_000_000)
        var whole = seconds.quotient
        var micros = seconds.remainder
        if micros < 0 {
            micros += 1_000_000
            whole -= 1
        }
        var time = time_t(whole)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d.%06d+00",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(micros)
        )
    }

    /// Parses `timestamptz` text output (`2025-10-03 11:19:46.123456+00`, any offset).
    static func parse(_ text: String) -> Date? {
        let utf8 = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= utf8.count else { return nil }
            var value = 0
            for c in utf8[from..<from + count] {
                guard c >= 48, c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < utf8.count, utf8[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < utf8.count, utf8[index] >= 48, utf8[index] <= 57 {
                fraction += Double(utf8[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds = 0
        if index < utf8.count, utf8[index] == UInt8(ascii: "+") || utf8[index] == UInt8(ascii: "-") {
            let sign = utf8[index] == UInt8(ascii: "-") ? -1 : 1
            let hours = number(index + 1, 2) ?? 0
            let minutes = index + 3 < utf8.count && utf8[index + 3] == UInt8(ascii: ":") ? number(index + 4, 2) ?? 0 : 0
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let epoch = timegm(&parts)
        return Date(timeIntervalSince1970: Double(epoch - offsetSeconds) + fraction)
    }
}

/// A `bigint[]` / `integer[]` parameter.
public struct PostgresIntArray: PostgresBindable {
    public var elements: [Int]
    public init(_ elements: [Int]) { self.elements = elements }

    public var postgresText: String {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        bytes.reserveCapacity(self.elements.count * 8 + 2)
        for (index, element) in self.elements.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: String(element).utf8)
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A `text[]` parameter, written as an array literal with every element quoted (`nil` is SQL NULL).
public struct PostgresArray: PostgresBindable {
    public var elements: [String?]
    public init(_ elements: [String?]) { self.elements = elements }

    public var postgresText: String {
        // Byte-wise: this runs for every batch of messages (thousands of elements), and Character iteration
        // was a measurable share of the CPU under load.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(self.elements.reduce(2) { $0 + ($1?.utf8.count ?? 4) + 3 })
        bytes.append(UInt8(ascii: "{"))
        for (index, element) in self.elements.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            guard let element else {
                bytes.append(contentsOf: "NULL".utf8)
                continue
            }
            bytes.append(UInt8(ascii: "\""))
            for byte in element.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
