import Crypto
import HTTPTypes
import Hummingbird

extension Gateway {
    struct PaymentMethodList: Codable {
        var paymentMethods: [PaymentMethodView]
        var success = true
        enum CodingKeys: String, CodingKey { case paymentMethods = "payment_methods", success }
    }

    struct PaymentMethodCreated: Codable {
        var success = true
        var paymentMethodID: String
        enum CodingKeys: String, CodingKey { case success, paymentMethodID = "payment_method_id" }
    }

    /// The signed-in user's payment methods, kept by the payment service: add (the token is stored only as a
    /// hash), list (their own plus the shared demo methods while those are on), delete (only their own;
    /// anything else is 404, so nobody learns which ids exist).
    func addPaymentMethodRoutes(to routes: inout [(HTTPRequest.Method, String, Handler)]) {
        routes.append(
            (
                .post, "/api/payment-methods",
                self.authenticated { request, _, session in
                    var request = request
                    let method = try await request.decodeJSON(PaymentMethodRequest.self, limit: 4096).validated()
                    let id = try await self.backends.call("payment") {
                        // Only the token's hash leaves the gateway.
                        try await self.backends.payments().addMethod(
                            userID: session.userID, paymentType: method.paymentType, gateway: method.gateway,
                            tokenSHA256: SHA256.hexDigest(method.token))
                    }
                    return JSONResponse.make(PaymentMethodCreated(paymentMethodID: id))
                }
            ))
        routes.append(
            (
                .get, "/api/payment-methods",
                self.authenticated { _, _, session in
                    let methods = try await self.backends.call("payment") {
                        try await self.backends.payments().methods(userID: session.userID)
                    }
                    return JSONResponse.make(PaymentMethodList(paymentMethods: methods))
                }
            ))
        routes.append(
            (
                .delete, "/api/payment-methods/{id}",
                self.authenticated { _, context, session in
                    let id = context.parameters.get("id") ?? ""
                    guard id.utf8.count <= 255,
                        try await self.backends.call(
                            "payment",
                            { try await self.backends.payments().deleteMethod(userID: session.userID, id: id) })
                    else {
                        throw GatewayError(.notFound, "Payment method not found")
                    }
                    return JSONResponse.make(Done())
                }
            ))
    }
}
