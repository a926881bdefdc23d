/// The original's events, with its JSON field names. Failure events carry `order_id` (the original forgot
/// it on `ProductsValidationFailed`) and an `error` text.
public enum Events {
    public struct OrderCreated: ShopEvent {
        public static let eventType = "OrderCreated"
        public var orderID: String
        public var userID: String
        public var paymentMethodID: String
        public var phone: String
        public var email: String
        public var status: String
        public var orderItems: [Item]
        public var createdAt: String
        public var updatedAt: String
        enum CodingKeys: String, CodingKey {
            case orderID = "order_id", userID = "user_id", paymentMethodID = "payment_method_id", phone, email
            case status, orderItems = "order_items", createdAt = "created_at", updatedAt = "updated_at"
        }
    }

    /// `OrderCompleted` and `OrderCancelled`: `{order_id, status}`.
    public struct OrderCompleted: ShopEvent {
        public static let eventType = "OrderCompleted"
        public var orderID: String
        public var status: String
        enum CodingKeys: String, CodingKey { case orderID = "order_id", status }
    }

    public struct OrderCancelled: ShopEvent {
        public static let eventType = "OrderCancelled"
        public var orderID: String
        public var status: String
        enum CodingKeys: String, CodingKey { case orderID = "order_id", status }
    }

    public struct ProductsValidated: ShopEvent {
        public static let eventType = "ProductsValidated"
        public var orderID: String
        public var orderItems: [Item]
        enum CodingKeys: String, CodingKey { case orderID = "order_id", orderItems = "order_items" }
    }

    /// Shared shape of the item failures: `ProductsValidationFailed`, `InventoryReserveFailed`,
    /// `InventoryReleaseFailed`.
    public struct ProductsValidationFailed: ShopEvent {
        public static let eventType = "ProductsValidationFailed"
        public var orderID: String
        public var orderItems: [Item]
        public var error: String
        enum CodingKeys: String, CodingKey { case orderID = "order_id", orderItems = "order_items", error }
    }

    public struct InventoryReserved: ShopEvent {
        public static let eventType = "InventoryReserved"
        public var orderID: String
        public var orderItems: [Item]
        enum CodingKeys: String, CodingKey { case orderID = "order_id", orderItems = "order_items" }
    }

    public struct InventoryReserveFailed: ShopEvent {
        public static let eventType = "InventoryReserveFailed"
        public var orderID: String
        public var orderItems: [Item]
        public var error: String
        enum CodingKeys: String, CodingKey { case orderID = "order_id", orderItems = "order_items", error }
    }

    public struct InventoryReleased: ShopEvent {
        public static let eventType = "InventoryReleased"
        public var orderID: String
        public var orderItems: [Item]
        enum CodingKeys: String, CodingKey { case orderID = "order_id", orderItems = "order_items" }
    }

    public struct InventoryReleaseFailed: ShopEvent {
        public static let eventType = "InventoryReleaseFailed"
        public var orderID: String
        public var orderItems: [Item]
        public var error: String
        enum CodingKeys: String, CodingKey { case orderID = "order_id", orderItems = "order_items", error }
    }

    /// `PaymentCompleted`, and `PaymentFailed` in the same shape (as the original sends it) plus `error`.
    public struct PaymentCompleted: ShopEvent {
        public static let eventType = "PaymentCompleted"
        public var paymentID: String
        public var orderID: String
        public var userID: String
        public var paymentSum: Int
        public var paymentMethodID: String
        public var paymentExternalID: String
        public var paymentType: String
        public var paymentGateway: String
        public var paymentStatus: String
        enum CodingKeys: String, CodingKey {
            case paymentID = "payment_id", orderID = "order_id", userID = "user_id", paymentSum = "payment_sum"
            case paymentMethodID = "payment_method_id", paymentExternalID = "payment_external_id"
            case paymentType = "payment_type", paymentGateway = "payment_gateway", paymentStatus = "payment_status"
        }
    }

    public struct PaymentFailed: ShopEvent {
        public static let eventType = "PaymentFailed"
        public var paymentID: String
        public var orderID: String
        public var userID: String
        public var paymentSum: Int
        public var paymentMethodID: String
        public var paymentStatus: String
        public var error: String
        enum CodingKeys: String, CodingKey {
            case paymentID = "payment_id", orderID = "order_id", userID = "user_id", paymentSum = "payment_sum"
            case paymentMethodID = "payment_method_id", paymentStatus = "payment_status", error
        }
    }

    public struct PaymentRefunded: ShopEvent {
        public static let eventType = "PaymentRefunded"
        public var orderID: String
        public var paymentID: String
        enum CodingKeys: String, CodingKey { case orderID = "order_id", paymentID = "payment_id" }
    }

    public struct PaymentRefundFailed: ShopEvent {
        public static let eventType = "PaymentRefundFailed"
        public var orderID: String
        public var paymentID: String
        public var error: String
        enum CodingKeys: String, CodingKey { case orderID = "order_id", paymentID = "payment_id", error }
    }
}

extension Events {
    /// Every event type (subscribers: `ShopService.all`).
    public static let all: [any ShopEvent.Type] = [
        OrderCreated.self, OrderCompleted.self, OrderCancelled.self, ProductsValidated.self,
        ProductsValidationFailed.self, InventoryReserved.self, InventoryReserveFailed.self, InventoryReleased.self,
        InventoryReleaseFailed.self, PaymentCompleted.self, PaymentFailed.self, PaymentRefunded.self,
        PaymentRefundFailed.self,
    ]
}
