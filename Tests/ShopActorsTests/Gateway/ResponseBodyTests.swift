import Foundation
import Testing

@testable import ShopActors

/// The gateway's answers byte for byte, as the original wrote them (Go's encoder: sorted keys, a newline).
@Suite struct ResponseBodyTests {
    func text(_ value: some Encodable) -> String { String(decoding: JSONResponse.body(value), as: UTF8.self) }

    @Test func authAnswersKeepTheOriginalsBytes() {
        #expect(
            self.text(Gateway.Registered(userID: "u-1"))
                == #"{"message":"Registration successful","success":true,"user_id":"u-1"}"# + "\n")
        #expect(
            self.text(Gateway.LoggedIn(userID: "u-1", sessionID: "s/1"))
                == #"{"message":"Login successful","session_id":"s/1","success":true,"user_id":"u-1"}"# + "\n")
        #expect(
            self.text(Gateway.Profile(email: "a@b.c", loggedIn: "2026-01-02T03:04:05Z", name: "n", userID: "u-1"))
                == #"{"email":"a@b.c","logged_in":"2026-01-02T03:04:05Z","name":"n","user_id":"u-1"}"# + "\n")
        #expect(
            self.text(Gateway.Done(message: "Logout successful"))
                == #"{"message":"Logout successful","success":true}"# + "\n")
        #expect(self.text(Gateway.Done()) == #"{"success":true}"# + "\n")
    }

    @Test func orderAnswersKeepTheOriginalsBytesAndReadBack() throws {
        #expect(
            self.text(Gateway.OrderCreated(orderID: "o-1"))
                == #"{"message":"Order created","order_id":"o-1","success":true}"# + "\n")
        let empty = Gateway.MyOrders(orders: nil, success: true, total: 0, nextCursor: nil)
        #expect(self.text(empty) == #"{"orders":null,"success":true,"total":0}"# + "\n")
        let order = HistoryOrder(
            id: "o-1", orderItems: [Item(productID: "p-1", quantity: 2)], status: "pending",
            createdAt: "2026-01-02 03:04:05 +0000 UTC", updatedAt: "2026-01-02 03:04:05 +0000 UTC")
        let detail = OrderDetailBody(
            order: OrderDetail(
                order: order, sagaID: "s-1", sagaStatus: "running", timeline: [], resolution: nil,
                unavailable: ["order-saga"]))
        let decoded = try JSONDecoder().decode(OrderDetailBody.self, from: JSONResponse.body(detail))
        #expect(decoded.order.order == order)
        #expect(decoded.order.sagaID == "s-1" && decoded.order.unavailable == ["order-saga"])
    }
}
