/// An order line as the original's messages carry it (`types.Item`): only `product_id` is always present.
public struct Item: Codable, Sendable, Equatable {
    public var productID: String
    public var quantity: Int?
    public var name: String?
    public var price: Int?

    public init(productID: String, quantity: Int? = nil, name: String? = nil, price: Int? = nil) {
        self.productID = productID
        self.quantity = quantity
        self.name = name
        self.price = price
    }

    enum CodingKeys: String, CodingKey {
        case productID = "product_id"
        case quantity, name, price
    }
}
