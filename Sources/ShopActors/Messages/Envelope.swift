import Foundation

/// JSON as the original writes it: snake_case keys from explicit coding keys, sorted for stable rows.
public enum ShopJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}

/// A message payload: its compact binary form for the mailbox (`PayloadCoding`), and its JSON form (the
/// original's field names) for people and for payloads written by earlier versions.
public protocol ShopPayload: Codable, Sendable, Equatable {
    func write(to writer: inout PayloadWriter)
    init(from reader: inout PayloadReader) throws
}

extension ShopPayload {
    /// The payload's mailbox bytes.
    public var payloadBytes: [UInt8] {
        var writer = PayloadWriter()
        self.write(to: &writer)
        return writer.bytes
    }
}

/// A command payload type and its wire name (`CreateOrder`, ...).
public protocol ShopCommand: ShopPayload {
    static var commandType: String { get }
}

/// An event payload type and its wire name (`OrderCreated`, ...).
public protocol ShopEvent: ShopPayload {
    static var eventType: String { get }
}

/// `{command_id, command_type, saga_id?, payload}`: the original's command envelope.
public struct CommandEnvelope<Payload: ShopCommand>: Codable, Sendable, Equatable {
    public var commandID: String
    public var commandType: String
    public var sagaID: String?
    public var payload: Payload

    public init(id: String = UUID().uuidString.lowercased(), sagaID: String?, payload: Payload) {
        self.commandID = id
        self.commandType = Payload.commandType
        self.sagaID = sagaID
        self.payload = payload
    }

    enum CodingKeys: String, CodingKey {
        case commandID = "command_id"
        case commandType = "command_type"
        case sagaID = "saga_id"
        case payload
    }
}

/// `{event_id, event_type, saga_id, payload}`: the original's event envelope (`saga_id` always present).
public struct EventEnvelope<Payload: ShopEvent>: Codable, Sendable, Equatable {
    public var eventID: String
    public var eventType: String
    public var sagaID: String
    public var payload: Payload

    public init(id: String = UUID().uuidString.lowercased(), sagaID: String, payload: Payload) {
        self.eventID = id
        self.eventType = Payload.eventType
        self.sagaID = sagaID
        self.payload = payload
    }

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id"
        case eventType = "event_type"
        case sagaID = "saga_id"
        case payload
    }
}
