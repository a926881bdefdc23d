/// The original's commands, with its JSON field names.
public enum Commands {
    public struct SagaCreateOrder: ShopCommand {
        public static let commandType = "SagaCreateOrder"
        public var orderID: String
        public var userID: String
        public var paymentMethodID: String
        public var orderItems: [Item]

        public init(orderID: String, userID: String, paymentMethodID: String, orderItems: [Item]) {
            self.orderID = orderID
            self.userID = userID
            self.paymentMethodID = paymentMethodID
            self.orderItems = orderItems
        }

        enum CodingKeys: String, CodingKey {
            case orderID = "order_id", userID = "user_id", paymentMethodID = "payment_method_id"
            case orderItems = "order_items"
        }
    }

    public struct CreateOrder: ShopCommand {
        public static let commandType = "CreateOrder"
        public var orderID: String
        public var userID: String
        public var paymentMethodID: String
        public var orderItems: [Item]

        enum CodingKeys: String, CodingKey {
            case orderID = "order_id", userID = "user_id", paymentMethodID = "payment_method_id"
            case orderItems = "order_items"
        }
    }

    /// `CompleteOrder` and `CancelOrder` carry only the order id.
    public struct CompleteOrder: ShopCommand {
        public static let commandType = "CompleteOrder"
        public var orderID: String
        enum CodingKeys: String, CodingKey { case orderID = "order_id" }
    }

    public struct CancelOrder: ShopCommand {
        public static let commandType = "CancelOrder"
        public var orderID: String
        enum CodingKeys: String, CodingKey { case orderID = "order_id" }
    }

    public struct ValidateProducts: ShopCommand {
        public static let commandType = "ValidateProducts"
        public var orderID: String
        public var orderItems: [Item]
        enum CodingKeys: String, CodingKey { case orderID = "order_id", orderItems = "order_items" }
    }

    public struct ReserveInventory: ShopCommand {
        public static let commandType = "ReserveInventory"
        public var orderID: String
        public var orderItems: [Item]
        enum CodingKeys: String, CodingKey { case orderID = "order_id", orderItems = "order_items" }
    }

    public struct ReleaseInventory: ShopCommand {
        public static let commandType = "ReleaseInventory"
        public var orderID: String
        public var orderItems: [Item]
        enum CodingKeys: String, CodingKey { case orderID = "order_id", orderItems = "order_items" }
    }

    public struct ProcessPayment: ShopCommand {
        public static let commandType = "ProcessPayment"
        public var orderID: String
        public var userID: String
        public var paymentSum: Int
        public var paymentMethodID: String
        enum CodingKeys: String, CodingKey {
            case orderID = "order_id", userID = "user_id", paymentSum = "payment_sum"
            case paymentMethodID = "payment_method_id"
        }
    }

    public struct RefundPayment: ShopCommand {
        public static let commandType = "RefundPayment"
        public var paymentID: String
        public var orderID: String?
        enum CodingKeys: String, CodingKey { case paymentID = "payment_id", orderID = "order_id" }
    }
}

extension Commands {
    /// Every command type (owners: `ShopService.all`).
    public static let all: [any ShopCommand.Type] = [
        SagaCreateOrder.self, CreateOrder.self, CompleteOrder.self, CancelOrder.self, ValidateProducts.self,
        ReserveInventory.self, ReleaseInventory.self, ProcessPayment.self, RefundPayment.self,
    ]
}
