import ActorRuntime

/// Every message type of the shop by name, to show a stored message the way the original wrote it: its JSON
/// envelope (`command_id`, `command_type`, `saga_id`, `payload` / `event_id`, `event_type`, ...). For people
/// (dead letters, tests); the mailbox itself carries the compact form.
public enum MessageCatalog {
    /// The message as the original's JSON envelope; nil for a type the shop does not know.
    public static func json(_ message: MailboxMessage) throws -> String? {
        if let command = Commands.all.first(where: { $0.commandType == message.type }) {
            return try Self.commandJSON(command, message)
        }
        if let event = Events.all.first(where: { $0.eventType == message.type }) {
            return try Self.eventJSON(event, message)
        }
        return nil
    }

    private static func commandJSON<C: ShopCommand>(_ type: C.Type, _ message: MailboxMessage) throws -> String {
        try ShopJSON.encode(message.command(C.self))
    }

    private static func eventJSON<E: ShopEvent>(_ type: E.Type, _ message: MailboxMessage) throws -> String {
        try ShopJSON.encode(message.event(E.self))
    }
}
