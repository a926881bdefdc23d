extension Gateway {
    /// `POST /auth/register`'s answer.
    struct Registered: Codable {
        var success = true
        var message = "Registration successful"
        var userID: String
        enum CodingKeys: String, CodingKey { case success, message, userID = "user_id" }
    }

    /// `POST /auth/login`'s answer: the bearer token is `session_id`.
    struct LoggedIn: Codable {
        var success = true
        var message = "Login successful"
        var userID: String
        var sessionID: String
        enum CodingKeys: String, CodingKey { case success, message, userID = "user_id", sessionID = "session_id" }
    }

    /// `GET /auth/profile`'s answer; `logged_in` is when the session began (RFC 3339).
    struct Profile: Codable {
        var email: String
        var loggedIn: String
        var name: String
        var userID: String
        enum CodingKeys: String, CodingKey { case email, loggedIn = "logged_in", name, userID = "user_id" }
    }

    /// `{"success":true}`, with a message where the original gave one (logout).
    struct Done: Codable {
        var success = true
        var message: String?
    }
}
