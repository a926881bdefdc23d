import ActorRuntime
import Distributed
import Foundation

/// A payment method as its owner sees it: never the token.
public struct PaymentMethodView: Codable, Sendable, Equatable {
    public var id: String
    public var paymentType: String
    public var gateway: String
    /// A shared demo method (the original's seed), usable by every user.
    public var shared: Bool

    enum CodingKeys: String, CodingKey { case id, paymentType = "payment_type", gateway, shared }
}

/// The payment service's request/reply face, at `/service/payment`: a user's payment methods. The gateway
/// calls it for the signed-in user; the methods live only in the payment service's database.
public distributed actor PaymentService {
    public typealias ActorSystem = ClusterSystem
    public static let path = "/service/payment"
    /// Most methods one user may keep.
    public static let maxMethodsPerUser = 20

    private let db: PostgresClient
    private let sharedDemoMethods: Bool

    public init(actorSystem: ClusterSystem, db: PostgresClient, sharedDemoMethods: Bool) {
        self.actorSystem = actorSystem
        self.db = db
        self.sharedDemoMethods = sharedDemoMethods
    }

    /// The user's own methods, oldest first, then the shared demo methods while those are on.
    public distributed func methods(userID: String) async throws -> [PaymentMethodView] {
        try ClusterSystem.allow([.member], "methods")
        return try await self.db.query(
            """
            SELECT id, payment_type, gateway, shared FROM methods
            WHERE (user_id = $1 AND NOT shared) OR (shared AND $2)
            ORDER BY shared, created_at, id
            """,
            [userID, self.sharedDemoMethods]
        ).rows.map { row in
            PaymentMethodView(
                id: try row.string("id"), paymentType: try row.string("payment_type"),
                gateway: try row.string("gateway"),
                shared: try row.bool("shared"))
        }
    }

    /// Stores a method for `userID` with its token's SHA-256 (the token itself never reaches this service);
    /// its new id. The caller has checked the fields; a user at `maxMethodsPerUser` gets a `QueryError`
    /// naming `payment_methods`.
    public distributed func addMethod(userID: String, paymentType: String, gateway: String, tokenSHA256: String)
        async throws -> String
    {
        try ClusterSystem.allow([.member], "addMethod")
        let id = "pm-" + OrderedUUID.make()
        // One statement: the count and the insert cannot race with a concurrent add past the limit by much
        // more than the concurrency, and the limit is a guard against abuse, not an invariant.
        let inserted = try await self.db.query(
            """
            INSERT INTO methods (id, user_id, gateway, payment_type, token_sha256, shared)
            SELECT $1::text, $2::text, $3::text, $4::text, $5::text, false
            WHERE (SELECT count(*) FROM methods WHERE user_id = $2::text AND NOT shared) < $6::int
            """,
            [id, userID, gateway, paymentType, tokenSHA256, Self.maxMethodsPerUser]
        ).affected
        guard inserted == 1 else {
            throw QueryError(
                "payment_methods", "at most \(Self.maxMethodsPerUser) payment methods per user; delete one first")
        }
        return id
    }

    /// Deletes one of `userID`'s own methods; false when there is none with that id (someone else's, a shared
    /// one, or unknown: the caller cannot tell which). Payments already made keep their record.
    public distributed func deleteMethod(userID: String, id: String) async throws -> Bool {
        try ClusterSystem.allow([.member], "deleteMethod")
        return try await self.db.query(
            "DELETE FROM methods WHERE id = $1 AND user_id = $2 AND NOT shared", [id, userID]
        ).affected == 1
    }
}
