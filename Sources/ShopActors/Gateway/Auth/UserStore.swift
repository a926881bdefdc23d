import ActorRuntime
import Foundation

/// A registered user (the original's `users` table).
struct User: Sendable {
    var id: String
    var name: String
    var email: String
    var passwordHash: String
}

/// Users in the gateway's database. Every value is a bound parameter.
struct UserStore: Sendable {
    let db: PostgresClient

    /// Inserts the user unless the email is taken.
    ///
    /// - Returns: false when the email already exists (the unique index decides, so two racing registrations
    ///   cannot both win).
    func insert(_ user: User) async throws -> Bool {
        try await self.db.query(
            "INSERT INTO users (id, name, email, password) VALUES ($1, $2, $3, $4) ON CONFLICT (email) DO NOTHING",
            [user.id, user.name, user.email, user.passwordHash]
        ).affected == 1
    }

    func exists(email: String) async throws -> Bool {
        try await self.db.query("SELECT 1 FROM users WHERE email = $1", [email]).count > 0
    }

    func find(email: String) async throws -> User? {
        try await self.db.query("SELECT id, name, email, password FROM users WHERE email = $1", [email]).first.map(
            Self.user)
    }

    func find(id: String) async throws -> User? {
        try await self.db.query("SELECT id, name, email, password FROM users WHERE id = $1", [id]).first.map(Self.user)
    }

    private static func user(_ row: PostgresRow) throws -> User {
        User(
            id: try row.string("id"), name: try row.string("name"), email: try row.string("email"),
            passwordHash: try row.string("password"))
    }
}
