import Foundation
import Testing

@testable import ShopActors

@Suite struct OrderCursorTests {
    @Test func aCursorRoundTripsThroughItsToken() {
        for cursor in [
            OrderCursor(createdAt: "2026-12-02 14:05:08.123456", id: "01a236ef-bbdf-7d6d-b3e6-797778d23f4d"),
            OrderCursor(createdAt: "2026-01-01 00:00:00", id: "walk-001"),
        ] {
            #expect(OrderCursor(token: cursor.token) == cursor)
            #expect(!cursor.token.contains("=") && !cursor.token.contains("/") && !cursor.token.contains("+"))
        }
    }

    @Test func anythingElseIsRefused() {
        let forged = [
            "", "abc", "not base64!", String(repeating: "A", count: 2000),
            OrderCursor(createdAt: "2026-01-01 00:00:00'; DROP TABLE x; --", id: "a").token,
            OrderCursor(createdAt: "2026-01-01", id: "a").token,
            OrderCursor(createdAt: "2026-01-01 00:00:00", id: "").token,
            OrderCursor(createdAt: "2026-01-01 00:00:00.1234567", id: "a").token,
        ]
        for token in forged { #expect(OrderCursor(token: token) == nil, "\(token)") }
        // Another version's token.
        let v2 = "v2\t2026-01-01 00:00:00\ta".utf8.map { $0 }
        #expect(OrderCursor(token: Data(v2).base64URLEncodedString) == nil)
    }
}
