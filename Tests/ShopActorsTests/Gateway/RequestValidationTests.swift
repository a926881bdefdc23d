import Testing

@testable import ShopActors

/// What the gateway accepts, checked without a server: each refusal names the field at fault.
@Suite struct RequestValidationTests {
    func parameter(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as GatewayError {
            return error.parameter
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func ordersAreTrimmedAndEveryBadFieldIsNamed() throws {
        let line = OrderRequest.Line(productID: " product-1 ", quantity: 2)
        let good = try OrderRequest(paymentMethodID: " method-1", orderItems: [line]).validated()
        #expect(good.paymentMethodID == "method-1" && good.orderItems[0].productID == "product-1")
        #expect(
            self.parameter { _ = try OrderRequest(paymentMethodID: "x'; DROP", orderItems: [line]).validated() }
                == "payment_method_id")
        #expect(
            self.parameter { _ = try OrderRequest(paymentMethodID: "m", orderItems: []).validated() } == "order_items")
        let many = Array(repeating: line, count: OrderRequest.maxLines + 1)
        #expect(
            self.parameter { _ = try OrderRequest(paymentMethodID: "m", orderItems: many).validated() } == "order_items"
        )
        let zero = OrderRequest.Line(productID: "p", quantity: 0)
        #expect(
            self.parameter { _ = try OrderRequest(paymentMethodID: "m", orderItems: [line, zero]).validated() }
                == "order_items[1].quantity")
        let quoted = OrderRequest.Line(productID: "p\"1", quantity: 1)
        #expect(
            self.parameter { _ = try OrderRequest(paymentMethodID: "m", orderItems: [quoted]).validated() }
                == "order_items[0].product_id")
    }

    @Test func credentialsAreNormalisedOrRefusedByField() throws {
        #expect(try Credentials.normalisedEmail(" User1@Example.com ") == "user1@example.com")
        for bad in ["", "user", "@example.com", "a@b", "a@.com", "a@com.", "a b@example.com"] {
            #expect(self.parameter { _ = try Credentials.normalisedEmail(bad) } == "email", "\(bad)")
        }
        #expect(self.parameter { try Credentials.checkPassword("short") } == "password")
        #expect(self.parameter { try Credentials.checkPassword(String(repeating: "x", count: 73)) } == "password")
        #expect(self.parameter { try Credentials.checkPassword("long enough") } == nil)
        #expect(self.parameter { _ = try Credentials.checkName("   ") } == "name")
        #expect(try Credentials.checkName(" Ann ") == "Ann")
    }
}
