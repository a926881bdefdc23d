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
    /// Sends a command in the original's envelope to the service that owns it.
    @available(*, noasync)
    public mutating func send<C: ShopCommand>(_ command: C, sagaID: String?, to service: String) throws {
        let envelope = CommandEnvelope(sagaID: sagaID, payload: command)
        try self.send(
            OutgoingMessage(id: envelope.commandID, type: C.commandType, sagaID: sagaID, payload: try ShopJSON.encode(envelope)),
            to: service
        )
    }

    /// Publishes an event in the original's envelope to its subscribers.
    @available(*, noasync)
    public mutating func publish<E: ShopEvent>(_ event: E, sagaID: String) throws {
        let envelope = EventEnvelope(sagaID: sagaID, payload: event)
        try self.publish(
            OutgoingMessage(id: envelope.eventID, type: E.eventType, sagaID: sagaID, payload: try ShopJSON.encode(envelope))
        )
    }
}

extension MailboxMessage {
    /// The command inside this message.
    public func command<C: ShopCommand>(_ type: C.Type) throws -> CommandEnvelope<C> {
        try ShopJSON.decode(CommandEnvelope<C>.self, from: self.payload)
    }

    /// The event inside this message.
    public func event<E: ShopEvent>(_ type: E.Type) throws -> EventEnvelope<E> {
        try ShopJSON.decode(EventEnvelope<E>.self, from: self.payload)
    }
}
