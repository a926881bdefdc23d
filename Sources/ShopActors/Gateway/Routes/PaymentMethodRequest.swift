import Foundation

/// The body of `POST /api/payment-methods`, checked field by field.
struct PaymentMethodRequest: Decodable, Sendable, Equatable {
    var paymentType: String
    var gateway: String
    var token: String

    enum CodingKeys: String, CodingKey { case paymentType = "payment_type", gateway, token }

    static let paymentTypes: Set<String> = ["card"]
    /// The gateways the payment service knows (`fail` declines every payment, for trying the failure path).
    static let gateways: Set<String> = ["sber", "tinkoff", "fail"]

    func validated() throws -> PaymentMethodRequest {
        var request = self
        request.paymentType = self.paymentType.trimmingCharacters(in: .whitespaces)
        request.gateway = self.gateway.trimmingCharacters(in: .whitespaces)
        guard Self.paymentTypes.contains(request.paymentType) else {
            throw GatewayError.badParameter(
                "payment_type", "must be one of \(Self.paymentTypes.sorted().joined(separator: ", "))")
        }
        guard Self.gateways.contains(request.gateway) else {
            throw GatewayError.badParameter(
                "gateway", "must be one of \(Self.gateways.sorted().joined(separator: ", "))")
        }
        // The token is the card processor's opaque reference: visible ASCII, stored only as its hash.
        guard (8...512).contains(self.token.utf8.count), self.token.utf8.allSatisfy({ $0 >= 0x21 && $0 < 0x7f }) else {
            throw GatewayError.badParameter("token", "must be 8 to 512 visible ASCII characters")
        }
        return request
    }
}
