/// A small JSON object literal whose values are strings or booleans (the original's `map[string]any` answers).
struct OrderedJSON: Encodable, ExpressibleByDictionaryLiteral {
    typealias Key = String
    typealias Value = any Sendable

    enum Field: Encodable {
        case string(String), bool(Bool), int(Int)
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let value): try container.encode(value)
            case .bool(let value): try container.encode(value)
            case .int(let value): try container.encode(value)
            }
        }
    }

    var fields: [(String, Field)]

    init(dictionaryLiteral elements: (String, any Sendable)...) {
        self.fields = elements.map { key, value in
            switch value {
            case let value as Bool: (key, .bool(value))
            case let value as Int: (key, .int(value))
            default: (key, .string("\(value)"))
            }
        }
    }

    struct FieldKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        for (key, value) in self.fields { try container.encode(value, forKey: FieldKey(stringValue: key)) }
    }
}
