import ActorRuntime
import Distributed
import Foundation

/// An order as `/api/my-orders` shows it: the original's fields, empty ones left out (as omitempty did).
public struct HistoryOrder: Codable, Sendable, Equatable {
    public var id: String
    public var orderItems: [Item]
    public var paymentID: String?
    public var paymentMethodID: String?
    public var paymentType: String?
    public var paymentGateway: String?
    public var paymentSum: Int?
    public var paymentExternalID: String?
    public var paymentStatus: String?
    public var status: String
    public var createdAt: String
    public var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, orderItems = "order_items", paymentID = "payment_id", paymentMethodID = "payment_method_id"
        case paymentType = "payment_type", paymentGateway = "payment_gateway", paymentSum = "payment_sum"
        case paymentExternalID = "payment_external_id", paymentStatus = "payment_status", status
        case createdAt = "created_at", updatedAt = "updated_at"
    }
}

/// Which orders of a user to list.
public struct OrderQuery: Codable, Sendable, Equatable {
    public var userID: String
    public var status: String?
    /// Orders created at or after `from` and before `to`.
    public var from: Date?
    public var to: Date?
    public var page: PageRequest
    /// Continue after this order (keyset pagination); `page.page` is then ignored.
    public var cursor: OrderCursor?

    public init(
        userID: String, status: String? = nil, from: Date? = nil, to: Date? = nil, page: PageRequest = PageRequest(),
        cursor: OrderCursor? = nil
    ) {
        self.userID = userID
        self.status = status
        self.from = from
        self.to = to
        self.page = page
        self.cursor = cursor
    }
}

/// One page of orders, where the next one starts, and how many match in all.
public struct OrderPage: Codable, Sendable, Equatable {
    public var orders: [HistoryOrder]
    /// Counted only for `page`/`limit` requests: a cursor walk skips it (counting costs as much as all the
    /// user's orders, on every page).
    public var total: Int?
    /// Set when more orders follow.
    public var nextCursor: OrderCursor?
}

/// The order-history service's request/reply face, at `/service/order-history`.
public distributed actor OrderHistoryService {
    public typealias ActorSystem = ClusterSystem
    public static let path = "/service/order-history"

    public static let statuses = HistoryStatus.allCases.map(\.rawValue)

    private let db: PostgresClient

    public init(actorSystem: ClusterSystem, db: PostgresClient) {
        self.actorSystem = actorSystem
        self.db = db
    }

    /// A user's orders, newest first, filtered. Served by the (user_id, created_at, id) index: a cursor
    /// continues from its position (keyset); `page`/`limit` skips rows in the index alone (an index-only
    /// scan that reads no skipped row), except with a `status` filter, which needs each row (an index on
    /// `status` would make every history update a non-HOT one: see migration 0004). The total, for
    /// `page`/`limit` requests only, is read from `order_counts`, or counted when a date range is given.
    public distributed func orders(_ query: OrderQuery) async throws -> OrderPage {
        try ClusterSystem.allow([.member], "orders")
        let (offset, limit) = try query.page.validated()
        if let status = query.status, !Self.statuses.contains(status) {
            throw QueryError("status", "must be one of \(Self.statuses.joined(separator: ", "))")
        }
        if let from = query.from, let to = query.to, from > to { throw QueryError("from", "is after to") }
        let filter = """
            user_id = $1 AND ($2::text IS NULL OR status = $2)
            AND ($3::timestamptz IS NULL OR created_at >= $3::timestamptz AT TIME ZONE 'UTC')
            AND ($4::timestamptz IS NULL OR created_at < $4::timestamptz AT TIME ZONE 'UTC')
            """
        let parameters: [(any PostgresBindable)?] = [query.userID, query.status, query.from, query.to]
        let rows: PostgresRows
        if let cursor = query.cursor {
            rows = try await self.db.query(
                """
                SELECT \(Self.columns), created_at::text AS position FROM order_history
                WHERE \(filter) AND (created_at, id) < ($5::timestamp, $6::text)
                ORDER BY created_at DESC, id DESC LIMIT $7
                """,
                parameters + [cursor.createdAt, cursor.id, limit + 1])
        } else {
            // The page's ids from the index (skipped entries are never fetched from the table), then its rows.
            rows = try await self.db.query(
                """
                WITH page AS (
                    SELECT id, created_at AS page_at FROM order_history WHERE \(filter)
                    ORDER BY created_at DESC, id DESC OFFSET $5 LIMIT $6
                )
                SELECT \(Self.columns), h.created_at::text AS position FROM page JOIN order_history h USING (id)
                ORDER BY page_at DESC, id DESC
                """,
                parameters + [offset, limit + 1])
        }
        var orders = try rows.rows.map(Self.order)
        var next: OrderCursor?
        if orders.count > limit {
            orders.removeLast()
            next = OrderCursor(createdAt: try rows.rows[limit - 1].string("position"), id: orders[limit - 1].id)
        }
        var total: Int?
        if query.cursor == nil, query.from == nil, query.to == nil {
            // Kept per user and status by the handler's turns.
            total =
                try await self.db.query(
                    "SELECT coalesce(sum(n), 0)::bigint AS n FROM order_counts WHERE user_id = $1 AND ($2::text IS NULL OR status = $2)",
                    [query.userID, query.status]
                ).first?.int("n") ?? 0
        } else if query.cursor == nil {
            // A date range: counted over the user's rows in it.
            total =
                try await self.db.query("SELECT count(*) AS n FROM order_history WHERE \(filter)", parameters).first?
                .int("n") ?? 0
        }
        return OrderPage(orders: orders, total: total, nextCursor: next)
    }

    /// One order, only if it belongs to `userID` (someone else's order is simply not found).
    public distributed func order(id: String, userID: String) async throws -> HistoryOrder? {
        try ClusterSystem.allow([.member], "order")
        return try await self.db.query(
            "SELECT \(Self.columns) FROM order_history WHERE id = $1 AND user_id = $2", [id, userID]
        ).rows.first.map(Self.order)
    }

    static let columns = """
        id, order_items::text AS items, payment_id, payment_method_id, payment_type, payment_gateway, payment_sum,
        payment_external_id, payment_status, status, \(Timestamps.goSQL("created_at")) AS created,
        \(Timestamps.goSQL("updated_at")) AS updated
        """

    static func order(_ row: PostgresRow) throws -> HistoryOrder {
        func nonEmpty(_ column: String) throws -> String? {
            try row.optionalString(column).flatMap { $0.isEmpty ? nil : $0 }
        }
        return HistoryOrder(
            id: try row.string("id"),
            orderItems: try ShopJSON.decode([Item].self, from: try row.string("items")),
            paymentID: try nonEmpty("payment_id"), paymentMethodID: try nonEmpty("payment_method_id"),
            paymentType: try nonEmpty("payment_type"), paymentGateway: try nonEmpty("payment_gateway"),
            paymentSum: try row.optionalInt("payment_sum").flatMap { $0 == 0 ? nil : $0 },
            paymentExternalID: try nonEmpty("payment_external_id"), paymentStatus: try nonEmpty("payment_status"),
            status: try row.string("status"), createdAt: try row.string("created"), updatedAt: try row.string("updated")
        )
    }
}
