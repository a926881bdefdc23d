import ActorRuntime
import Foundation
import Testing

@testable import ShopActors

/// The mailbox's compact payloads and the hand-written JSON of history's order lines, without a database.
@Suite struct PayloadCodingTests {
    static let items = [
        Item(productID: "product-1", quantity: 3),
        Item(productID: "p\"2\\", quantity: nil, name: "naïve ✓ \"name\"\n", price: -5),
    ]

    func roundTrip<T: ShopPayload>(_ value: T) throws -> T {
        var reader = try PayloadReader(value.payloadBytes)
        return try T(from: &reader)
    }

    @Test func everyMessageTypeRoundTrips() throws {
        #expect(
            try self.roundTrip(
                Commands.SagaCreateOrder(orderID: "o", userID: "u", paymentMethodID: "m", orderItems: Self.items))
                == Commands.SagaCreateOrder(orderID: "o", userID: "u", paymentMethodID: "m", orderItems: Self.items))
        let refund = Commands.RefundPayment(paymentID: "p", orderID: nil)
        #expect(try self.roundTrip(refund) == refund)
        let paid = Events.PaymentCompleted(
            paymentID: "p", orderID: "o", userID: "u", paymentSum: Int.max, paymentMethodID: "m",
            paymentExternalID: "x",
            paymentType: "card", paymentGateway: "sber", paymentStatus: "completed")
        #expect(try self.roundTrip(paid) == paid)
        let created = Events.OrderCreated(
            orderID: "o", userID: "u", paymentMethodID: "m", phone: "", email: "", status: "created",
            orderItems: Self.items,
            createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z")
        #expect(try self.roundTrip(created) == created)
        let failed = Events.PaymentFailed(
            paymentID: "p", orderID: "o", userID: "u", paymentSum: Int.min, paymentMethodID: "m",
            paymentStatus: "failed", error: "e")
        #expect(try self.roundTrip(failed) == failed)
    }

    @Test func malformedPayloadsThrowInsteadOfCrashing() throws {
        let good = Commands.ValidateProducts(orderID: "o", orderItems: Self.items).payloadBytes
        // Every truncation, and a few corruptions, are errors.
        for length in 0..<good.count {
            #expect(throws: PayloadError.self) {
                var reader = try PayloadReader(Array(good.prefix(length)))
                _ = try Commands.ValidateProducts(from: &reader)
            }
        }
        for bad in [
            [1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], [1, 0x7F], [1, 2, 0x6F, 0x6F, 0x7F],
            [9],
        ] as [[UInt8]] {
            #expect(throws: PayloadError.self) {
                var reader = try PayloadReader(bad)
                _ = try Commands.ValidateProducts(from: &reader)
            }
        }
    }

    @Test func aJSONPayloadOfTheFirstVersionIsStillRead() throws {
        let json = #"{"command_id":"c","command_type":"CompleteOrder","payload":{"order_id":"o-9"}}"#
        let message = MailboxMessage(id: "c", type: "CompleteOrder", sagaID: "s", payload: json, source: "order-saga")
        #expect(try message.decode(Commands.CompleteOrder.self).orderID == "o-9")
    }

    @Test func theCatalogShowsAStoredMessageAsTheOriginalsEnvelope() throws {
        let event = Events.OrderCompleted(orderID: "o-1", status: "completed")
        let message = MailboxMessage(
            id: "e-1", type: "OrderCompleted", sagaID: "s-1", payload: event.payloadBytes, source: "order")
        let json = try #require(try MessageCatalog.json(message))
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        #expect(object["event_id"] as? String == "e-1" && object["event_type"] as? String == "OrderCompleted")
        #expect((object["payload"] as? [String: Any])?["order_id"] as? String == "o-1")
        #expect(
            try MessageCatalog.json(MailboxMessage(id: "x", type: "Nope", sagaID: nil, payload: [1], source: "x"))
                == nil)
    }

    @Test func historyOrderLinesRoundTripThroughHandWrittenJSON() throws {
        let json = ItemsJSON.encode(Self.items)
        #expect(try ItemsJSON.decode(json) == Self.items)
        // What Foundation and jsonb write reads the same.
        #expect(try ItemsJSON.decode(ShopJSON.encode(Self.items)) == Self.items)
        #expect(
            try ItemsJSON.decode(#"[{"name": null, "price": 10000, "quantity": 1, "product_id": "product-1"}]"#)
                == [Item(productID: "product-1", quantity: 1, price: 10000)])
        #expect(try ItemsJSON.decode(" [ ] ") == [])
        for bad in [
            "", "[", "[{", #"[{"product_id":1}]"#, #"[{"other":"x"}]"#, #"[{"price":99999999999999999999999}]"#,
        ] {
            #expect(throws: PayloadError.self) { try ItemsJSON.decode(bad) }
        }
    }

    @Test func segmentsNeverHoldAKeyTwice() {
        let runs = segmented(["a", "b", "a", "c", "c", "d"], by: { $0 })
        #expect(runs == [["a", "b"], ["a", "c"], ["c", "d"]])
        #expect(segmented([String](), by: { $0 }).isEmpty)
    }

    @Test func messageIDsAreTimeOrderedUUIDs() {
        let first = OrderedUUID.make()
        let second = OrderedUUID.make()
        #expect(UUID(uuidString: first) != nil)
        #expect(first.count == 36 && Array(first)[14] == "7")
        #expect(String(first.prefix(8)) <= String(second.prefix(8)))
    }
}
