/// The statuses an order passes through in order history (the original's names, as its clients filter by them).
public enum HistoryStatus: String, CaseIterable, Sendable {
    case orderCreated = "order_created"
    case productsValidated = "products_validated"
    case productsValidationFailed = "products_validation_failed"
    case inventoryReserved = "inventory_reserved"
    case inventoryReserveFailed = "inventory_reserve_failed"
    case paymentCompleted = "payment_completed"
    case paymentFailed = "payment_failed"
    case paymentRefunded = "payment_refunded"
    case orderCompleted = "order_completed"
    case orderCancelled = "order_cancelled"

    /// Statuses a later intermediate event never replaces.
    public var isFinal: Bool { self == .orderCompleted || self == .orderCancelled }
}
