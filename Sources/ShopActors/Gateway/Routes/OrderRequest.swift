import Crypto
import Foundation

/// The body of `POST /api/orders`, checked: the original queued whatever it got (even after a decode error).
struct OrderRequest: Codable, Sendable, Equatable {
    struct Line: Codable, Sendable, Equatable {
        var productID: String
        var quantity: Int
        enum CodingKeys: String, CodingKey { case productID = "product_id", quantity }
    }

    var paymentMethodID: String
    var orderItems: [Line]

    enum CodingKeys: String, CodingKey { case paymentMethodID = "payment_method_id", orderItems = "order_items" }

    static let quantities = 1...10_000
    static let maxLines = 100

    /// Ids are the seed's (`product-1`, `method-1`) or UUIDs: letters, digits and `.`, `_`, `:`, `-`. Anything
    /// else (quotes, spaces, SQL) is refused up front rather than queued and failed later.
    static func isIdentifier(_ text: String) -> Bool {
        (1...255).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
                    || byte == UInt8(ascii: "-")
            }
    }

    func validated() throws -> OrderRequest {
        var request = self
        request.paymentMethodID = self.paymentMethodID.trimmingCharacters(in: .whitespaces)
        guard Self.isIdentifier(request.paymentMethodID) else {
            throw GatewayError.badParameter(
                "payment_method_id", "must be an id: 1 to 255 letters, digits, '.', '_', ':' or '-'")
        }
        guard !self.orderItems.isEmpty else { throw GatewayError.badParameter("order_items", "must not be empty") }
        guard self.orderItems.count <= Self.maxLines else {
            throw GatewayError.badParameter("order_items", "may hold at most \(Self.maxLines) lines")
        }
        for (index, line) in self.orderItems.enumerated() {
            let productID = line.productID.trimmingCharacters(in: .whitespaces)
            guard Self.isIdentifier(productID) else {
                throw GatewayError.badParameter(
                    "order_items[\(index)].product_id", "must be an id: 1 to 255 letters, digits, '.', '_', ':' or '-'")
            }
            guard Self.quantities.contains(line.quantity) else {
                throw GatewayError.badParameter(
                    "order_items[\(index)].quantity",
                    "must be \(Self.quantities.lowerBound) to \(Self.quantities.upperBound)")
            }
            request.orderItems[index].productID = productID
        }
        return request
    }

    /// Canonical JSON (sorted keys) and its SHA-256: what an `Idempotency-Key` is bound to.
    func canonical() throws -> (json: String, hash: String) {
        let json = try ShopJSON.encode(self)
        return (json, SHA256.hexDigest(json))
    }
}
