import Crypto

extension SHA256 {
    /// The SHA-256 of `text`'s UTF-8 bytes as 64 lower-case hex digits (token and request fingerprints).
    static func hexDigest(_ text: String) -> String {
        // By hand: `String(format:)` per byte was a tenth of the node's CPU under load.
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in Self.hash(data: Array(text.utf8)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
