import ActorRuntime
import CoreMetrics
import Foundation
import HTTPTypes
import Hummingbird
import Logging

extension Gateway {
    func addOrderRoutes(to routes: inout [(HTTPRequest.Method, String, Handler)]) {
        routes.append((.post, "/api/orders", self.authenticated { request, _, session in
            try await self.createOrder(request, session)
        }))
        routes.append((.get, "/api/orders/{id}", self.authenticated { _, context, session in
            try await self.showOrder(context.parameters.get("id") ?? "", session)
        }))
        routes.append((.get, "/api/my-orders", self.authenticated { request, _, session in
            try await self.myOrders(request, session)
        }))
    }

    private enum Placement: Sendable {
        case created
        case existing(orderID: String, requestHash: String)
    }

    /// Validates, mints the order id, and in one transaction of the gateway's database records the order and
    /// queues `SagaCreateOrder`: the answer is only given once the order is durably on its way, even if the
    /// saga's node is down right now.
    func createOrder(_ request: Request, _ session: Session) async throws -> Response {
        let key = try Self.idempotencyKey(request)
        var request = request
        let order = try await request.decodeJSON(OrderRequest.self, limit: self.configuration.maxBodyBytes).validated()
        let (json, hash) = try order.canonical()
        let orderID = OrderedUUID.make()  // time-ordered: new orders land together in every index
        let now = self.configuration.now()
        let placement = try await self.mailbox.transaction { turn -> Placement in
            let inserted = try turn.connection.query(
                """
                INSERT INTO orders (id, user_id, idempotency_key, request_hash, request, created_at)
                VALUES ($1, $2, $3, $4, $5::jsonb, $6)
                ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                """,
                [orderID, session.userID, key, hash, json, now]
            ).affected
            guard inserted == 1 else {
                // Another request with this key committed first (a concurrent one waited for it on the index).
                let row = try turn.connection.query(
                    "SELECT id, request_hash FROM orders WHERE user_id = $1 AND idempotency_key = $2", [session.userID, key]
                ).first
                guard let row else { throw GatewayError(.conflict, "The Idempotency-Key is in use; retry") }
                return .existing(orderID: try row.string("id"), requestHash: try row.string("request_hash"))
            }
            let command = Commands.SagaCreateOrder(
                orderID: orderID, userID: session.userID, paymentMethodID: order.paymentMethodID,
                orderItems: order.orderItems.map { Item(productID: $0.productID, quantity: $0.quantity) })
            try turn.send(command, sagaID: nil, to: "order-saga")
            return .created
        }
        switch placement {
        case .created:
            self.metrics.ordersCreated.increment()
            self.logger.info("order accepted", metadata: ["order_id": "\(orderID)", "user_id": "\(session.userID)"])
            return Self.orderCreated(orderID)
        case .existing(let existing, let existingHash):
            guard existingHash == hash else {
                throw GatewayError(.unprocessableContent, "The Idempotency-Key was already used for a different order", parameter: "Idempotency-Key")
            }
            self.metrics.ordersReplayed.increment()
            return Self.orderCreated(existing)
        }
    }

    static func orderCreated(_ orderID: String) -> Response {
        JSONResponse.make(["message": "Order created", "success": true, "order_id": orderID] as OrderedJSON)
    }

    static func idempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!] else { return nil }
        guard (1...255).contains(key.utf8.count), key.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value < 0x7f }) else {
            throw GatewayError.badParameter("Idempotency-Key", "must be 1 to 255 visible ASCII characters")
        }
        return key
    }

    /// One order with its status and saga timeline; someone else's order (or an unknown id) is 404.
    func showOrder(_ id: String, _ session: Session) async throws -> Response {
        guard id.utf8.count <= 255,
            let row = try await self.db.query(
                "SELECT request::text AS request, created_at FROM orders WHERE id = $1 AND user_id = $2", [id, session.userID]
            ).first
        else {
            throw GatewayError(.notFound, "Order not found")
        }
        async let historyResult = Result { try await self.backends.call("order-history") { try await self.backends.history().order(id: id, userID: session.userID) } }
        async let sagaResult = Result { try await self.backends.call("order-saga") { try await self.backends.sagas().saga(orderID: id) } }
        let (history, saga) = await (historyResult, sagaResult)
        if case .failure(let error) = history, case .failure = saga { throw error }
        let request = try ShopJSON.decode(OrderRequest.self, from: try row.string("request"))
        let created = try row.date("created_at")
        // Until order history has seen OrderCreated, the order is shown from what the gateway accepted.
        let order = (try? history.get()) ?? nil ?? HistoryOrder(
            id: id, orderItems: request.orderItems.map { Item(productID: $0.productID, quantity: $0.quantity) },
            paymentMethodID: request.paymentMethodID, status: "pending", createdAt: RFC3339.string(created),
            updatedAt: RFC3339.string(created))
        let sagaView = (try? saga.get()) ?? nil
        return JSONResponse.make(OrderDetailBody(
            order: OrderDetail(
                order: order, sagaID: sagaView?.sagaID, sagaStatus: sagaView?.status, timeline: sagaView?.timeline ?? [],
                unavailable: (history.isFailure ? ["order-history"] : []) + (saga.isFailure ? ["order-saga"] : []))))
    }

    /// The original's `{"orders":[...],"success":true}` (`orders` null when empty) plus `total`, with
    /// `status`, `from` and `to` filters.
    func myOrders(_ request: Request, _ session: Session) async throws -> Response {
        let parameters = QueryParameters(request)
        let page = try parameters.page()
        let status = parameters.string("status")
        if let status, !OrderHistoryService.statuses.contains(status) {
            throw GatewayError.badParameter("status", "must be one of \(OrderHistoryService.statuses.joined(separator: ", "))")
        }
        let from = try parameters.date("from")
        let to = try parameters.date("to")
        if let from, let to, from > to { throw GatewayError.badParameter("from", "must not be after to") }
        let query = OrderQuery(userID: session.userID, status: status, from: from, to: to, page: page)
        let result = try await self.backends.call("order-history") { try await self.backends.history().orders(query) }
        return JSONResponse.make(MyOrders(orders: result.orders.isEmpty ? nil : result.orders, success: true, total: result.total))
    }

    struct MyOrders: Encodable {
        var orders: [HistoryOrder]?
        var success: Bool
        var total: Int

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.orders, forKey: .orders)  // null, not absent, as the original
            try container.encode(self.success, forKey: .success)
            try container.encode(self.total, forKey: .total)
        }
        enum CodingKeys: String, CodingKey { case orders, success, total }
    }
}

struct OrderDetailBody: Encodable {
    var success = true
    var order: OrderDetail
}

/// An order as `GET /api/orders/{id}` shows it: the history fields, the saga's status and its timeline.
struct OrderDetail: Encodable {
    var order: HistoryOrder
    var sagaID: String?
    var sagaStatus: String?
    var timeline: [OrderSagaState.TimelineEntry]
    /// Services that could not be asked, so the answer is partial.
    var unavailable: [String]

    enum CodingKeys: String, CodingKey { case sagaID = "saga_id", sagaStatus = "saga_status", timeline, unavailable }

    func encode(to encoder: any Encoder) throws {
        try self.order.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(self.sagaID, forKey: .sagaID)
        try container.encodeIfPresent(self.sagaStatus, forKey: .sagaStatus)
        try container.encode(self.timeline, forKey: .timeline)
        if !self.unavailable.isEmpty { try container.encode(self.unavailable, forKey: .unavailable) }
    }
}

extension Result where Failure == any Error {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }

    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
