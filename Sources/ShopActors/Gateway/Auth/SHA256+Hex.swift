import Crypto
import Foundation

extension SHA256 {
    /// The SHA-256 of `text`'s UTF-8 bytes as 64 lower-case hex digits (token and request fingerprints).
    static func hexDigest(_ text: String) -> String {
        Self.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
