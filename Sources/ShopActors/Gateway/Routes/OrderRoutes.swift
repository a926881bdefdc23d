import ActorRuntime
import CoreMetrics
import Foundation
import HTTPTypes
import Hummingbird
import Logging

extension Gateway {
    func addOrderRoutes(to routes: inout [(HTTPRequest.Method, String, Handler)]) {
        // Not wrapped in `authenticated`: the intake checks the session in the same transaction that records the order.
        routes.append((.post, "/api/orders", { request, _ in try await self.createOrder(request) }))
        routes.append(
            (
                .get, "/api/orders/{id}",
                self.authenticated { _, context, session in
                    try await self.showOrder(context.parameters.get("id") ?? "", session)
                }
            ))
        routes.append(
            (
                .get, "/api/my-orders",
                self.authenticated { request, _, session in
                    try await self.myOrders(request, session)
                }
            ))
    }

    /// Validates, mints the order id, and hands the order to the intake, which (with the other POSTs of its
    /// group) checks the session, records the order and queues `SagaCreateOrder` in one transaction of the
    /// gateway's database: the answer is only given once the order is durably on its way, even if the saga's
    /// node is down right now. Past the in-flight limit the answer is 503 with `Retry-After`.
    func createOrder(_ request: Request) async throws -> Response {
        let token = try Self.bearerToken(request)
        let key: String?
        let order: OrderRequest
        do {
            key = try Self.idempotencyKey(request)
            var request = request
            order = try await request.decodeJSON(OrderRequest.self, limit: self.configuration.maxBodyBytes).validated()
        } catch {
            // Without a session the answer is 401 whatever the body, as before the group intake.
            guard try await self.sessions.find(token: token) != nil else { throw GatewayError.unauthorized }
            throw error
        }
        guard self.admission.admit() else {
            self.metrics.ordersShed.increment()
            var error = GatewayError(.serviceUnavailable, "Too many orders in flight; retry later")
            error.headers[.retryAfter] = "\(max(1, Int(self.configuration.retryAfter.timeInterval.rounded(.up))))"
            throw error
        }
        var recorded = false
        defer { self.admission.settle(accepted: recorded) }
        let (json, hash) = try order.canonical()
        let submission = OrderIntake.Submission(
            tokenHash: SessionStore.hash(token), idempotencyKey: key, requestHash: hash, requestJSON: json,
            order: order,
            orderID: OrderedUUID.make(),  // time-ordered: new orders land together in every index
            now: self.now())
        switch try await self.intake.submit(submission) {
        case .created(let orderID, let userID):
            recorded = true
            self.metrics.ordersCreated.increment()
            self.logger.debug("order accepted", metadata: ["order_id": "\(orderID)", "user_id": "\(userID)"])
            return Self.orderCreated(orderID)
        case .existing(let existing, let existingHash, _):
            guard existingHash == hash else {
                throw GatewayError(
                    .unprocessableContent, "The Idempotency-Key was already used for a different order",
                    parameter: "Idempotency-Key")
            }
            self.metrics.ordersReplayed.increment()
            return Self.orderCreated(existing)
        case .unauthorized:
            throw GatewayError.unauthorized
        case .keyInUse:
            throw GatewayError(.conflict, "The Idempotency-Key is in use; retry")
        }
    }

    static func orderCreated(_ orderID: String) -> Response {
        JSONResponse.make(OrderCreated(orderID: orderID))
    }

    static func idempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!] else { return nil }
        guard (1...255).contains(key.utf8.count), key.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value < 0x7f })
        else {
            throw GatewayError.badParameter("Idempotency-Key", "must be 1 to 255 visible ASCII characters")
        }
        return key
    }

    /// One order with its status and saga timeline; someone else's order (or an unknown id) is 404.
    func showOrder(_ id: String, _ session: Session) async throws -> Response {
        guard id.utf8.count <= 255,
            let row = try await self.db.query(
                "SELECT request::text AS request, created_at, resolution FROM orders WHERE id = $1 AND user_id = $2",
                [id, session.userID]
            ).first
        else {
            throw GatewayError(.notFound, "Order not found")
        }
        async let historyResult = Result {
            try await self.backends.call("order-history") {
                try await self.backends.history().order(id: id, userID: session.userID)
            }
        }
        async let sagaResult = Result {
            try await self.backends.call("order-saga") { try await self.backends.sagas().saga(orderID: id) }
        }
        let (history, saga) = await (historyResult, sagaResult)
        if case .failure(let error) = history, case .failure = saga { throw error }
        let request = try ShopJSON.decode(OrderRequest.self, from: try row.string("request"))
        let created = try row.date("created_at")
        // Until order history has seen OrderCreated, the order is shown from what the gateway accepted; an
        // order whose saga could never start is cancelled, with the reconciler's reason.
        let resolution = try row.optionalString("resolution")
        let order =
            (try? history.get()) ?? nil
            ?? HistoryOrder(
                id: id, orderItems: request.orderItems.map { Item(productID: $0.productID, quantity: $0.quantity) },
                paymentMethodID: request.paymentMethodID, status: resolution == nil ? "pending" : "order_cancelled",
                createdAt: Timestamps.rfc3339(created), updatedAt: Timestamps.rfc3339(created))
        let sagaView = (try? saga.get()) ?? nil
        return JSONResponse.make(
            OrderDetailBody(
                order: OrderDetail(
                    order: order, sagaID: sagaView?.sagaID, sagaStatus: sagaView?.status,
                    timeline: sagaView?.timeline ?? [],
                    resolution: resolution,
                    unavailable: (history.isFailure ? ["order-history"] : []) + (saga.isFailure ? ["order-saga"] : [])))
        )
    }

    /// The original's `{"orders":[...],"success":true}` (`orders` null when empty) plus `total`, with
    /// `status`, `from` and `to` filters.
    func myOrders(_ request: Request, _ session: Session) async throws -> Response {
        let parameters = QueryParameters(request)
        let page = try parameters.page()
        let status = parameters.string("status")
        if let status, !OrderHistoryService.statuses.contains(status) {
            throw GatewayError.badParameter(
                "status", "must be one of \(OrderHistoryService.statuses.joined(separator: ", "))")
        }
        let from = try parameters.date("from")
        let to = try parameters.date("to")
        if let from, let to, from > to { throw GatewayError.badParameter("from", "must not be after to") }
        var cursor: OrderCursor?
        if let token = parameters.string("cursor") {
            guard let parsed = OrderCursor(token: token) else {
                throw GatewayError.badParameter("cursor", "is not a next_cursor this server returned")
            }
            cursor = parsed
        }
        let query = OrderQuery(userID: session.userID, status: status, from: from, to: to, page: page, cursor: cursor)
        let result = try await self.backends.call("order-history") { try await self.backends.history().orders(query) }
        return JSONResponse.make(
            MyOrders(
                orders: result.orders.isEmpty ? nil : result.orders, success: true, total: result.total,
                nextCursor: result.nextCursor?.token))
    }

    /// `POST /api/orders`' answer (201 on a first request, 200 on an idempotent repeat).
    struct OrderCreated: Codable {
        var message = "Order created"
        var success = true
        var orderID: String
        enum CodingKeys: String, CodingKey { case message, success, orderID = "order_id" }
    }

    struct MyOrders: Codable {
        var orders: [HistoryOrder]?
        var success: Bool
        /// Absent on a cursor's pages (see `OrderPage.total`).
        var total: Int?
        var nextCursor: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.orders, forKey: .orders)  // null, not absent, as the original
            try container.encode(self.success, forKey: .success)
            try container.encodeIfPresent(self.total, forKey: .total)
            try container.encodeIfPresent(self.nextCursor, forKey: .nextCursor)
        }
        enum CodingKeys: String, CodingKey { case orders, success, total, nextCursor = "next_cursor" }
    }
}

struct OrderDetailBody: Codable {
    var success = true
    var order: OrderDetail
}

/// An order as `GET /api/orders/{id}` shows it: the history fields, the saga's status and its timeline.
struct OrderDetail: Codable {
    var order: HistoryOrder
    var sagaID: String?
    var sagaStatus: String?
    var timeline: [OrderSagaState.TimelineEntry]
    /// Why the gateway resolved the order itself (its saga could never start).
    var resolution: String?
    /// Services that could not be asked, so the answer is partial.
    var unavailable: [String]

    enum CodingKeys: String, CodingKey {
        case sagaID = "saga_id", sagaStatus = "saga_status", timeline, resolution, unavailable
    }

    init(
        order: HistoryOrder, sagaID: String?, sagaStatus: String?, timeline: [OrderSagaState.TimelineEntry],
        resolution: String?, unavailable: [String]
    ) {
        self.order = order
        self.sagaID = sagaID
        self.sagaStatus = sagaStatus
        self.timeline = timeline
        self.resolution = resolution
        self.unavailable = unavailable
    }

    /// The history fields sit beside the saga's, in one object.
    init(from decoder: any Decoder) throws {
        self.order = try HistoryOrder(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.sagaID = try container.decodeIfPresent(String.self, forKey: .sagaID)
        self.sagaStatus = try container.decodeIfPresent(String.self, forKey: .sagaStatus)
        self.timeline = try container.decode([OrderSagaState.TimelineEntry].self, forKey: .timeline)
        self.resolution = try container.decodeIfPresent(String.self, forKey: .resolution)
        self.unavailable = try container.decodeIfPresent([String].self, forKey: .unavailable) ?? []
    }

    func encode(to encoder: any Encoder) throws {
        try self.order.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(self.sagaID, forKey: .sagaID)
        try container.encodeIfPresent(self.sagaStatus, forKey: .sagaStatus)
        try container.encode(self.timeline, forKey: .timeline)
        try container.encodeIfPresent(self.resolution, forKey: .resolution)
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
