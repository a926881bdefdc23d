// The commands' compact payloads (`PayloadCoding`): every field, in declaration order.

extension Commands.SagaCreateOrder {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
        writer.write(self.userID)
        writer.write(self.paymentMethodID)
        writer.write(self.orderItems)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
        self.userID = try reader.string()
        self.paymentMethodID = try reader.string()
        self.orderItems = try reader.items()
    }
}

extension Commands.CreateOrder {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
        writer.write(self.userID)
        writer.write(self.paymentMethodID)
        writer.write(self.orderItems)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
        self.userID = try reader.string()
        self.paymentMethodID = try reader.string()
        self.orderItems = try reader.items()
    }
}

extension Commands.CompleteOrder {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
    }
}

extension Commands.CancelOrder {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
    }
}

extension Commands.ValidateProducts {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
        writer.write(self.orderItems)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
        self.orderItems = try reader.items()
    }
}

extension Commands.ReserveInventory {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
        writer.write(self.orderItems)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
        self.orderItems = try reader.items()
    }
}

extension Commands.ReleaseInventory {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
        writer.write(self.orderItems)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
        self.orderItems = try reader.items()
    }
}

extension Commands.ProcessPayment {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.orderID)
        writer.write(self.userID)
        writer.write(self.paymentSum)
        writer.write(self.paymentMethodID)
    }

    public init(from reader: inout PayloadReader) throws {
        self.orderID = try reader.string()
        self.userID = try reader.string()
        self.paymentSum = try reader.int()
        self.paymentMethodID = try reader.string()
    }
}

extension Commands.RefundPayment {
    public func write(to writer: inout PayloadWriter) {
        writer.write(self.paymentID)
        writer.write(self.orderID)
    }

    public init(from reader: inout PayloadReader) throws {
        self.paymentID = try reader.string()
        self.orderID = try reader.optionalString()
    }
}
