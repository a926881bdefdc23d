import Foundation
import Testing

@testable import ShopActors

@Suite struct MessageShapeTests {
    static func object(_ json: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
    }

    @Test func commandEnvelopesUseTheOriginalFieldNames() throws {
        let command = Commands.SagaCreateOrder(
            orderID: "o-1", userID: "u-1", paymentMethodID: "method-1",
            orderItems: [Item(productID: "product-1", quantity: 11)])
        let json = try ShopJSON.encode(CommandEnvelope(id: "c-1", sagaID: nil, payload: command))
        let object = try Self.object(json)
        #expect(Set(object.keys) == ["command_id", "command_type", "payload"])  // saga_id omitted when nil
        #expect(object["command_type"] as? String == "SagaCreateOrder")
        let payload = object["payload"] as! [String: Any]
        #expect(Set(payload.keys) == ["order_id", "user_id", "payment_method_id", "order_items"])
        let item = (payload["order_items"] as! [[String: Any]])[0]
        #expect(Set(item.keys) == ["product_id", "quantity"])  // name and price omitted, as omitempty did
        let back = try ShopJSON.decode(CommandEnvelope<Commands.SagaCreateOrder>.self, from: json)
        #expect(back.payload == command)
    }

    @Test func eventEnvelopesAlwaysCarryTheSagaID() throws {
        let event = Events.ProductsValidationFailed(
            orderID: "o-1", orderItems: [Item(productID: "nope")], error: "unknown product nope")
        let json = try ShopJSON.encode(EventEnvelope(id: "e-1", sagaID: "s-1", payload: event))
        let object = try Self.object(json)
        #expect(Set(object.keys) == ["event_id", "event_type", "saga_id", "payload"])
        #expect(object["event_type"] as? String == "ProductsValidationFailed")
        #expect((object["payload"] as! [String: Any])["order_id"] as? String == "o-1")
        #expect(try ShopJSON.decode(EventEnvelope<Events.ProductsValidationFailed>.self, from: json).payload == event)
    }
}
