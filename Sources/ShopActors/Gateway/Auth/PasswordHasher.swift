import HummingbirdBcrypt
import NIOPosix

/// bcrypt, run on NIO's blocking thread pool: a hash takes tens of milliseconds, far too long for an event
/// loop or the cooperative pool.
struct PasswordHasher: Sendable {
    var cost: UInt8

    /// A real hash of a random password, verified against when the email is unknown, so that a missing
    /// account answers no faster than a wrong password.
    private static let decoy = Bcrypt.hash("decoy-password-\(UInt64.random(in: 0...UInt64.max))", cost: 10)

    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String?) async throws -> Bool {
        let decoy = Self.decoy
        return try await NIOThreadPool.singleton.runIfActive {
            guard let hash else {
                _ = Bcrypt.verify(password, hash: decoy)
                return false
            }
            return Bcrypt.verify(password, hash: hash)
        }
    }
}
