import ActorRuntime
import Crypto
import Foundation

/// A logged-in session: the identity `BearerSessionAuthenticator` puts in the request context.
public struct Session: Sendable {
    var userID: String
    var createdAt: Date
    var expiresAt: Date
    /// SHA-256 of the bearer token: how the session is found (and revoked) without storing the token.
    var tokenHash: String
}

/// Opaque bearer sessions in the gateway's Postgres, with an absolute expiry.
struct SessionStore: Sendable {
    let db: PostgresClient
    let lifetime: Duration
    let now: @Sendable () -> Date

    /// A new random token (256 bits, base64url) and its stored session. The token is returned once, to the
    /// client; only its hash is kept.
    func create(userID: String, ipAddress: String, userAgent: String) async throws -> (token: String, session: Session)
    {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let token = Data(bytes).base64URLEncodedString
        let now = self.now()
        let session = Session(
            userID: userID, createdAt: now, expiresAt: now.addingTimeInterval(self.lifetime.timeInterval),
            tokenHash: Self.hash(token))
        try await self.db.query(
            """
            INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_activity, ip_address, user_agent)
            VALUES ($1, $2, $3, $4, $3, $5, $6)
            """,
            [session.tokenHash, userID, now, session.expiresAt, ipAddress, String(userAgent.prefix(512))]
        )
        return (token, session)
    }

    /// The live session of `token`: not expired, not revoked. `last_activity` is refreshed at most once a
    /// minute, so a busy client does not turn every read into a write.
    func find(token: String) async throws -> Session? {
        let now = self.now()
        guard
            let row = try await self.db.query(
                """
                SELECT user_id, created_at, expires_at, last_activity FROM sessions
                WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2
                """,
                [Self.hash(token), now]
            ).first
        else { return nil }
        let session = Session(
            userID: try row.string("user_id"), createdAt: try row.date("created_at"),
            expiresAt: try row.date("expires_at"), tokenHash: Self.hash(token))
        if now.timeIntervalSince(try row.date("last_activity")) > 60 {
            try await self.db.query(
                "UPDATE sessions SET last_activity = $2 WHERE token_hash = $1", [session.tokenHash, now])
        }
        return session
    }

    /// The users of the live sessions among `tokenHashes`, in the caller's transaction (the order intake checks
    /// a whole group of requests with one statement). Refreshes `last_activity` as `find` does.
    @available(*, noasync)
    func users(tokenHashes: [String], now: Date, _ connection: PostgresConnection) throws -> [String: String] {
        let rows = try connection.query(
            """
            SELECT token_hash, user_id, last_activity < $3 AS stale FROM sessions
            WHERE token_hash = ANY($1::text[]) AND revoked_at IS NULL AND expires_at > $2
            """,
            [PostgresArray(Array(Set(tokenHashes))), now, now.addingTimeInterval(-60)])
        var users: [String: String] = [:]
        var stale: [String] = []
        for row in rows.rows {
            let hash = try row.string("token_hash")
            users[hash] = try row.string("user_id")
            if try row.bool("stale") { stale.append(hash) }
        }
        if !stale.isEmpty {
            try connection.query(
                "UPDATE sessions SET last_activity = $2 WHERE token_hash = ANY($1::text[])",
                [PostgresArray(stale), now])
        }
        return users
    }

    func revoke(_ session: Session) async throws {
        try await self.db.query(
            "UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
            [session.tokenHash, self.now()])
    }

    /// Deletes sessions that ended more than a day ago.
    func prune() async throws -> Int {
        try await self.db.query(
            "DELETE FROM sessions WHERE expires_at < $1", [self.now().addingTimeInterval(-86_400)]
        ).affected
    }

    static func hash(_ token: String) -> String {
        SHA256.hexDigest(token)
    }
}
