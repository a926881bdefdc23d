/// Page and limit as the original takes them, with the limit capped.
public struct PageRequest: Codable, Sendable, Equatable {
    public static let maxLimit = 100

    public var page: Int
    public var limit: Int

    public init(page: Int = 1, limit: Int = 10) {
        self.page = page
        self.limit = limit
    }

    func validated() throws -> (offset: Int, limit: Int) {
        guard self.page >= 1, self.page <= 1_000_000 else { throw QueryError("page", "must be 1 or more") }
        guard self.limit >= 1 else { throw QueryError("limit", "must be 1 or more") }
        let limit = min(self.limit, Self.maxLimit)
        return ((self.page - 1) * limit, limit)
    }
}
