import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// bcrypt, run on NIO's blocking thread pool: a hash takes tens of milliseconds, far too long for an event
/// loop or the cooperative pool.
struct PasswordHasher: Sendable {
    var cost: UInt8

    /// Real hashes of a random password, one per cost, verified against when the email is unknown, so that a
    /// missing account answers no faster than a wrong password at the configured cost.
    private static let decoys = Mutex<[UInt8: String]>([:])

    static func decoy(cost: UInt8) -> String {
        if let known = Self.decoys.withLock({ $0[cost] }) { return known }
        let made = Bcrypt.hash("decoy-password-\(UInt64.random(in: 0...UInt64.max))", cost: cost)
        return Self.decoys.withLock { decoys in
            if let known = decoys[cost] { return known }
            decoys[cost] = made
            return made
        }
    }

    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String?) async throws -> Bool {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive {
            guard let hash else {
                _ = Bcrypt.verify(password, hash: Self.decoy(cost: cost))
                return false
            }
            return Bcrypt.verify(password, hash: hash)
        }
    }
}
