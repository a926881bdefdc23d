import Foundation

/// A message as the mailbox carries it: an envelope (id, type, saga) around opaque payload bytes, which the
/// services encode and decode (`bytea` in the outbox: no JSON parsing on the way through).
public struct MailboxMessage: Codable, Sendable, Equatable {
    /// Unique per message (the original's `command_id` / `event_id`); the receiver's inbox key.
    public var id: String
    /// The message's name (`CreateOrder`, `OrderCreated`, ...).
    public var type: String
    public var sagaID: String?
    public var payload: [UInt8]
    /// The service that sent it.
    public var source: String

    /// Integer keys: every relayed message carries these, so they travel as one byte each, not as names.
    enum CodingKeys: Int, CodingKey {
        case id, type, sagaID, payload, source
    }

    public init(id: String, type: String, sagaID: String?, payload: [UInt8], source: String) {
        self.id = id
        self.type = type
        self.sagaID = sagaID
        self.payload = payload
        self.source = source
    }

    /// A message whose payload is text (UTF-8).
    public init(id: String, type: String, sagaID: String?, payload: String, source: String) {
        self.init(id: id, type: type, sagaID: sagaID, payload: Array(payload.utf8), source: source)
    }

    /// The payload read as UTF-8 text.
    public var payloadText: String { String(decoding: self.payload, as: UTF8.self) }
}

/// A message a turn sends.
public struct OutgoingMessage: Sendable, Equatable {
    public var id: String
    public var type: String
    public var sagaID: String?
    public var payload: [UInt8]

    public init(id: String = OrderedUUID.make(), type: String, sagaID: String? = nil, payload: [UInt8]) {
        self.id = id
        self.type = type
        self.sagaID = sagaID
        self.payload = payload
    }

    /// A message whose payload is text (UTF-8).
    public init(id: String = OrderedUUID.make(), type: String, sagaID: String? = nil, payload: String) {
        self.init(id: id, type: type, sagaID: sagaID, payload: Array(payload.utf8))
    }
}

/// What a relay hands to the destination in one call.
public struct DeliveryBatch: Codable, Sendable {
    public var source: String
    public var destination: String
    public var messages: [MailboxMessage]

    enum CodingKeys: Int, CodingKey {
        case source, destination, messages
    }

    public init(source: String, destination: String, messages: [MailboxMessage]) {
        self.source = source
        self.destination = destination
        self.messages = messages
    }
}

/// The destination's answer. Every message of the batch is committed (handled now, or a duplicate of one
/// handled before) except those in `failed`, whose handler threw: they were isolated (by bisection) and
/// rolled back alone, and the sender retries them later with backoff.
public struct DeliveryReport: Codable, Sendable, Equatable {
    public struct Failure: Codable, Sendable, Equatable {
        public var messageID: String
        public var error: String

        enum CodingKeys: Int, CodingKey {
            case messageID, error
        }

        public init(messageID: String, error: String) {
            self.messageID = messageID
            self.error = error
        }
    }

    /// Messages committed (including duplicates).
    public var accepted: Int
    public var duplicates: Int
    public var failed: [Failure]

    enum CodingKeys: Int, CodingKey {
        case accepted, duplicates, failed
    }

    public init(accepted: Int, duplicates: Int, failed: [Failure] = []) {
        self.accepted = accepted
        self.duplicates = duplicates
        self.failed = failed
    }
}

/// UUIDs whose first 48 bits are the time in milliseconds (the layout of UUID version 7), for message ids and
/// every other key minted under load: keys written together sit together in an index (the same few pages,
/// no full-page image of a random page in the WAL) instead of landing on random pages.
public enum OrderedUUID {
    public static func make() -> String {
        let millis = UInt64(Date().timeIntervalSince1970 * 1000)
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - index))) }
        var generator = SystemRandomNumberGenerator()
        let random = generator.next() as UInt64
        let more = generator.next() as UInt64
        for index in 6..<16 {
            bytes[index] = UInt8(
                truncatingIfNeeded: index < 14 ? random >> (8 * (index - 6)) : more >> (8 * (index - 14)))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x70  // version 7
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
