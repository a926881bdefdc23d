import Foundation

/// Checks on what `/auth/register` and `/auth/login` receive. The original checked nothing.
enum Credentials {
    /// Trimmed and lower-cased, so `User1@Example.com ` and `user1@example.com` are one account.
    static func normalisedEmail(_ raw: String) throws -> String {
        let email = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !email.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 })
        else {
            throw GatewayError.badParameter("email", "is not a valid email address")
        }
        return email
    }

    /// bcrypt reads at most 72 bytes; the original silently stored an empty hash above that (a user who
    /// could never log in). We refuse such passwords instead.
    static let passwordBytes = 8...72

    static func checkPassword(_ password: String) throws {
        guard Self.passwordBytes.contains(password.utf8.count) else {
            throw GatewayError.badParameter(
                "password", "must be \(Self.passwordBytes.lowerBound) to \(Self.passwordBytes.upperBound) bytes long")
        }
    }

    static func checkName(_ raw: String) throws -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 255 else {
            throw GatewayError.badParameter("name", "must be 1 to 255 characters")
        }
        return name
    }
}
