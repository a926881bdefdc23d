import ActorRuntime
import ActorRuntimeTestSupport
import Foundation
import ShopActors
import Testing

@Suite struct ServiceSchemaTests {
    static let services = ShopService.names

    @Test(arguments: Self.services)
    func everyServiceMigratesOnceWithItsSeedData(service: String) async throws {
        let server = try await TestPostgres.server
        let url = try await server.ensureDatabase("\(service)_\(UInt32.random(in: 0...UInt32.max))")
        let client = PostgresClient(configuration: .init(url: url))
        defer { client.shutdown() }
        try await ServiceSchema.migrate(service, client: client, logger: TestSettings.quietLogger)
        try await ServiceSchema.migrate(service, client: client, logger: TestSettings.quietLogger)  // idempotent
        let versions = try await client.query(
            "SELECT count(*) AS n FROM schema_migrations WHERE namespace = $1", [service]
        ).first?.int("n")
        #expect(versions == (try ServiceSchema.migrations(for: service)).count)
        switch service {
        case "product":
            #expect(
                try await client.query("SELECT id FROM categories ORDER BY id").rows.map { try $0.string("id") } == [
                    "cat-1", "cat-2", "cat-3",
                ])
            let prices = try await client.query("SELECT id, price FROM products ORDER BY id").rows.map {
                "\(try $0.string("id"))=\(try $0.int("price"))"
            }
            #expect(
                prices == [
                    "product-1=10000", "product-11=10000", "product-12=10000", "product-13=10000", "product-2=20000",
                    "product-3=30000",
                ])
        case "inventory":
            let stock = try await client.query("SELECT product_id, quantity FROM inventory ORDER BY product_id").rows
                .map { "\(try $0.string("product_id"))=\(try $0.int("quantity"))" }
            #expect(stock == ["product-1=10000", "product-2=20000", "product-3=30000"])
            await #expect(throws: PostgresError.self) {
                try await client.query("UPDATE inventory SET quantity = -1 WHERE product_id = 'product-1'")
            }
        case "payment":
            #expect(
                try await client.query("SELECT id FROM methods ORDER BY id").rows.map { try $0.string("id") } == [
                    "method-1", "method-2", "method-fail",
                ])
        default:
            #expect(try await client.query("SELECT count(*) AS n FROM outbox").first?.int("n") == 0)
        }
    }
}
