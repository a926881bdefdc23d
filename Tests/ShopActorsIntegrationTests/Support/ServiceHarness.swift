import ActorRuntime
import ActorRuntimeTestSupport
import Foundation
import Testing

@testable import ShopActors

/// One service on its own fresh database, fed commands through its real mailbox endpoint (a local
/// distributed call), with the events it publishes read back from its outbox.
final class ServiceHarness: Sendable {
    let service: String
    let client: PostgresClient
    let system: ClusterSystem
    let mailbox: Mailbox

    init(_ service: String, handler: any MailboxHandler) async throws {
        self.service = service
        let url = try await TestPostgres.freshDatabase(EmbeddedPostgres.databaseName(for: service))
        self.client = TestPostgres.client(url)
        try await ServiceSchema.migrate(service, client: self.client, logger: TestSettings.quietLogger)
        let system = ClusterSystem(settings: TestSettings.cluster("n-\(UInt32.random(in: 0...UInt32.max))"))
        self.system = system
        var configuration = Mailbox.Configuration(
            service: service,
            directory: ServiceDirectory(
                Dictionary(uniqueKeysWithValues: ShopService.names.map { ($0, system.node) })))
        configuration.routes = ShopService.routes
        self.mailbox = Mailbox(
            configuration: configuration, client: self.client, system: self.system, handler: handler,
            logger: TestSettings.quietLogger)
        self.mailbox.registerEndpoint()
    }

    deinit { self.client.shutdown() }

    /// Delivers one command and returns the events it published (as seen by the saga), in order.
    @discardableResult
    func deliver<C: ShopCommand>(_ command: C, sagaID: String = "saga-1") async throws -> [Sent] {
        let before = try await self.client.query("SELECT coalesce(max(id), 0) AS m FROM outbox").first!.int("m")
        let message = MailboxMessage(
            id: OrderedUUID.make(), type: C.commandType, sagaID: sagaID, payload: command.payloadBytes,
            source: "order-saga")
        let endpoint = try MailboxEndpoint.resolve(
            id: ActorID(node: self.system.node, path: MailboxEndpoint.path(for: self.service)), using: self.system)
        let report = try await endpoint.deliver(
            DeliveryBatch(source: "order-saga", destination: self.service, messages: [message]))
        #expect(report.failed.isEmpty, "\(report.failed)")
        // Nothing relays here, so what the turn sent is still in the outbox.
        return try await self.client.query(
            "SELECT message_id, message_type, saga_id, payload FROM outbox WHERE id > $1 AND destination = 'order-saga' ORDER BY id",
            [before]
        ).rows.map { row in
            let sent = MailboxMessage(
                id: try row.string("message_id"), type: try row.string("message_type"),
                sagaID: try row.optionalString("saga_id"),
                payload: try row.bytes("payload"), source: self.service)
            return Sent(message: sent)
        }
    }

    /// A message a handler's turn sent, read back as its typed event.
    struct Sent {
        var message: MailboxMessage
        var type: String { self.message.type }

        func event<E: ShopEvent>(_ type: E.Type) throws -> E {
            #expect(self.message.type == E.eventType)
            return try self.message.decode(E.self)
        }
    }

    /// Delivers one event (as a publishing service would) and returns the delivery report.
    @discardableResult
    func deliverEvent<E: ShopEvent>(_ event: E, sagaID: String = "saga-1") async throws -> DeliveryReport {
        let message = MailboxMessage(
            id: OrderedUUID.make(), type: E.eventType, sagaID: sagaID, payload: event.payloadBytes, source: "test")
        let endpoint = try MailboxEndpoint.resolve(
            id: ActorID(node: self.system.node, path: MailboxEndpoint.path(for: self.service)), using: self.system)
        return try await endpoint.deliver(DeliveryBatch(source: "test", destination: self.service, messages: [message]))
    }

    func int(_ sql: String, _ parameters: [(any PostgresBindable)?] = []) async throws -> Int? {
        try await self.client.query(sql, parameters).first?.optionalInt("n")
    }
}
