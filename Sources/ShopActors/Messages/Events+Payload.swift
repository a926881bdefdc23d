// The events' compact payloads (`PayloadCoding`): every field, in declaration order.

extension Events.OrderCreated {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
        writer.write(self.userID)
        writer.write(self.paymentMethodID)
        writer.write(self.phone)
        writer.write(self.email)
        writer.write(self.status)
        writer.write(self.orderItems)
        writer.write(self.createdAt)
        writer.write(self.updatedAt)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
        self.userID = try reader.string()
        self.paymentMethodID = try reader.string()
        self.phone = try reader.string()
        self.email = try reader.string()
        self.status = try reader.string()
        self.orderItems = try reader.items()
        self.createdAt = try reader.string()
        self.updatedAt = try reader.string()
    }
}

extension Events.OrderCompleted {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
        writer.write(self.status)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
        self.status = try reader.string()
    }
}

extension Events.OrderCancelled {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
        writer.write(self.status)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
        self.status = try reader.string()
    }
}

extension Events.ProductsValidated {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
        writer.write(self.orderItems)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
        self.orderItems = try reader.items()
    }
}

extension Events.ProductsValidationFailed {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
        writer.write(self.orderItems)
        writer.write(self.error)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
        self.orderItems = try reader.items()
        self.error = try reader.string()
    }
}

extension Events.InventoryReserved {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
        writer.write(self.orderItems)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
        self.orderItems = try reader.items()
    }
}

extension Events.InventoryReserveFailed {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
        writer.write(self.orderItems)
        writer.write(self.error)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
        self.orderItems = try reader.items()
        self.error = try reader.string()
    }
}

extension Events.InventoryReleased {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
        writer.write(self.orderItems)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
        self.orderItems = try reader.items()
    }
}

extension Events.InventoryReleaseFailed {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
        writer.write(self.orderItems)
        writer.write(self.error)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
        self.orderItems = try reader.items()
        self.error = try reader.string()
    }
}

extension Events.PaymentCompleted {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.paymentID)
        writer.write(self.orderID)
        writer.write(self.userID)
        writer.write(self.paymentSum)
        writer.write(self.paymentMethodID)
        writer.write(self.paymentExternalID)
        writer.write(self.paymentType)
        writer.write(self.paymentGateway)
        writer.write(self.paymentStatus)
    }

    public init(from reader: inout PayloadReader) throws {
        self.paymentID = try reader.string()
        self.orderID = try reader.string()
        self.userID = try reader.string()
        self.paymentSum = try reader.int()
        self.paymentMethodID = try reader.string()
        self.paymentExternalID = try reader.string()
        self.paymentType = try reader.string()
        self.paymentGateway = try reader.string()
        self.paymentStatus = try reader.string()
    }
}

extension Events.PaymentFailed {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.paymentID)
        writer.write(self.orderID)
        writer.write(self.userID)
        writer.write(self.paymentSum)
        writer.write(self.paymentMethodID)
        writer.write(self.paymentStatus)
        writer.write(self.error)
    }

    public init(from reader: inout PayloadReader) throws {
        self.paymentID = try reader.string()
        self.orderID = try reader.string()
        self.userID = try reader.string()
        self.paymentSum = try reader.int()
        self.paymentMethodID = try reader.string()
        self.paymentStatus = try reader.string()
        self.error = try reader.string()
    }
}

extension Events.PaymentRefunded {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
        writer.write(self.paymentID)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
        self.paymentID = try reader.string()
    }
}

extension Events.PaymentRefundFailed {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
        writer.write(self.paymentID)
        writer.write(self.error)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
        self.paymentID = try reader.string()
        self.error = try reader.string()
    }
}
