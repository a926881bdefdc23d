import ActorRuntime

/// Who receives what: commands go to the service that owns them; every event goes to the saga (which
/// drives the order) and to order history (the read model).
public enum ShopRoutes {
    public static let eventSubscribers = ["order-saga", "order-history"]

    public static let events = [
        "OrderCreated", "OrderCompleted", "OrderCancelled", "ProductsValidated", "ProductsValidationFailed",
        "InventoryReserved", "InventoryReserveFailed", "InventoryReleased", "InventoryReleaseFailed",
        "PaymentCompleted", "PaymentFailed", "PaymentRefunded", "PaymentRefundFailed",
    ]

    public static var routes: MessageRoutes {
        MessageRoutes(Dictionary(uniqueKeysWithValues: Self.events.map { ($0, Self.eventSubscribers) }))
    }
}

/// A message type this service does not handle; the message is retried and then parked as a dead letter,
/// never silently dropped.
public struct UnexpectedMessage: Error, CustomStringConvertible {
    public var service: String
    public var type: String
    public var description: String { "\(self.service) does not handle \(self.type)" }
}

extension Turn {
    /// Sends a command to the service that owns it.
    @available(*, noasync)
    public mutating func send<C: ShopCommand>(_ command: C, sagaID: String?, to service: String) throws {
        try self.send(OutgoingMessage(type: C.commandType, sagaID: sagaID, payload: command.payloadBytes), to: service)
    }

    /// Publishes an event to its subscribers.
    @available(*, noasync)
    public mutating func publish<E: ShopEvent>(_ event: E, sagaID: String) throws {
        try self.publish(OutgoingMessage(type: E.eventType, sagaID: sagaID, payload: event.payloadBytes))
    }
}

extension MailboxMessage {
    /// The payload as `T`: the compact form, or the JSON envelope an earlier version wrote.
    public func decode<T: ShopPayload>(_ type: T.Type) throws -> T {
        if self.payload.first == UInt8(ascii: "{") {
            return try ShopJSON.decode(LegacyEnvelope<T>.self, from: self.payloadText).payload
        }
        var reader = try PayloadReader(self.payload)
        return try T(from: &reader)
    }

    /// The command inside this message, in the original's envelope.
    public func command<C: ShopCommand>(_ type: C.Type) throws -> CommandEnvelope<C> {
        CommandEnvelope(id: self.id, sagaID: self.sagaID, payload: try self.decode(C.self))
    }

    /// The event inside this message, in the original's envelope.
    public func event<E: ShopEvent>(_ type: E.Type) throws -> EventEnvelope<E> {
        EventEnvelope(id: self.id, sagaID: self.sagaID ?? "", payload: try self.decode(E.self))
    }
}

/// Only the `payload` of a JSON envelope written by an earlier version.
private struct LegacyEnvelope<T: Decodable>: Decodable {
    var payload: T
}
