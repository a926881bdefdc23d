import ActorRuntime

extension Turn {
    /// Sends a command to the service that owns it (`ShopService.commands`).
    @available(*, noasync)
    public mutating func send<C: ShopCommand>(_ command: C, sagaID: String?) throws {
        try self.send(
            OutgoingMessage(type: C.commandType, sagaID: sagaID, payload: command.payloadBytes),
            to: ShopService.owner(of: C.self))
    }

    /// Publishes an event to the services that subscribe to it (`ShopService.subscriptions`).
    @available(*, noasync)
    public mutating func publish<E: ShopEvent>(_ event: E, sagaID: String) throws {
        try self.publish(OutgoingMessage(type: E.eventType, sagaID: sagaID, payload: event.payloadBytes))
    }
}
