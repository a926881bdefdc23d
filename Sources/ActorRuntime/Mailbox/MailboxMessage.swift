import Foundation

/// A message as the mailbox carries it: an envelope around a JSON payload.
public struct MailboxMessage: Codable, Sendable, Equatable {
    /// Unique per message (the original's `command_id` / `event_id`); the receiver's inbox key.
    public var id: String
    /// The message's name (`CreateOrder`, `OrderCreated`, ...).
    public var type: String
    public var sagaID: String?
    /// The payload as JSON text.
    public var payload: String
    /// The service that sent it.
    public var source: String

    public init(id: String, type: String, sagaID: String?, payload: String, source: String) {
        self.id = id
        self.type = type
        self.sagaID = sagaID
        self.payload = payload
        self.source = source
    }
}

/// A message a turn sends.
public struct OutgoingMessage: Sendable, Equatable {
    public var id: String
    public var type: String
    public var sagaID: String?
    /// JSON text.
    public var payload: String

    public init(id: String = UUID().uuidString.lowercased(), type: String, sagaID: String? = nil, payload: String) {
        self.id = id
        self.type = type
        self.sagaID = sagaID
        self.payload = payload
    }
}

/// What a relay hands to the destination in one call.
public struct DeliveryBatch: Codable, Sendable {
    public var source: String
    public var destination: String
    public var messages: [MailboxMessage]

    public init(source: String, destination: String, messages: [MailboxMessage]) {
        self.source = source
        self.destination = destination
        self.messages = messages
    }
}

/// The destination's answer: how many leading messages are committed (handled now or before), and why the
/// next one failed, if one did. Messages after a failure were not attempted, so order is kept.
public struct DeliveryReport: Codable, Sendable, Equatable {
    public struct Failure: Codable, Sendable, Equatable {
        public var error: String
    }

    public var accepted: Int
    public var duplicates: Int
    public var failure: Failure?
}
