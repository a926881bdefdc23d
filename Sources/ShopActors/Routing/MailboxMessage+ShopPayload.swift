import ActorRuntime

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
