import ActorRuntime
import Distributed

/// Category as `/api/categories` shows it.
public struct Category: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var createdAt: String
    enum CodingKeys: String, CodingKey { case id, name, createdAt = "created_at" }
}

/// Product as `/api/products` shows it.
public struct Product: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var price: Int
    public var categoryID: String
    public var createdAt: String
    enum CodingKeys: String, CodingKey {
        case id, name, price, categoryID = "category_id", createdAt = "created_at"
    }
}

/// The product service's request/reply face (gRPC in the original), at `/service/product`.
public distributed actor ProductService {
    public typealias ActorSystem = ClusterSystem
    public static let path = "/service/product"

    private let db: PostgresClient

    public init(actorSystem: ClusterSystem, db: PostgresClient) {
        self.actorSystem = actorSystem
        self.db = db
    }

    /// Categories, newest first.
    public distributed func categories(_ page: PageRequest) async throws -> [Category] {
        try ClusterSystem.allow([.member], "categories")
        let (offset, limit) = try page.validated()
        return try await self.db.query(
            "SELECT id, name, \(Timestamps.goSQL("created_at")) AS created FROM categories ORDER BY created_at DESC, id OFFSET $1 LIMIT $2",
            [offset, limit]
        ).rows.map {
            Category(id: try $0.string("id"), name: try $0.string("name"), createdAt: try $0.string("created"))
        }
    }

    /// Products of one category, newest first.
    public distributed func products(categoryID: String, _ page: PageRequest) async throws -> [Product] {
        try ClusterSystem.allow([.member], "products")
        let (offset, limit) = try page.validated()
        guard !categoryID.isEmpty else { throw QueryError("category_id", "is required") }
        return try await self.db.query(
            """
            SELECT id, name, price, category_id, \(Timestamps.goSQL("created_at")) AS created FROM products
            WHERE category_id = $1 ORDER BY created_at DESC, id OFFSET $2 LIMIT $3
            """,
            [categoryID, offset, limit]
        ).rows.map {
            Product(
                id: try $0.string("id"), name: try $0.string("name"), price: try $0.int("price"),
                categoryID: try $0.string("category_id"), createdAt: try $0.string("created"))
        }
    }
}
