import ArgumentParser
import Foundation

/// `node secret`: a fresh cluster secret (32 random bytes, base64: 44 characters) for cluster.conf's `secret`
/// or the variable named by `secret_env`.
struct SecretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret",
        abstract: "Prints a new random cluster secret (32 bytes, base64)."
    )

    func run() throws {
        print(Self.make())
    }

    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString()
    }
}
