import ActorRuntime
import Distributed
import Foundation

/// A saga as the order status page shows it.
public struct SagaView: Codable, Sendable, Equatable {
    public var sagaID: String
    public var orderID: String
    public var status: String
    public var timeline: [OrderSagaState.TimelineEntry]

    enum CodingKeys: String, CodingKey { case sagaID = "saga_id", orderID = "order_id", status, timeline }
}

/// The saga service's request/reply face, at `/service/order-saga`.
public distributed actor OrderSagaService {
    public typealias ActorSystem = ClusterSystem
    public static let path = "/service/order-saga"

    private let db: PostgresClient
    private let deadlines: SagaDeadlines?

    public init(actorSystem: ClusterSystem, db: PostgresClient, deadlines: SagaDeadlines? = nil) {
        self.actorSystem = actorSystem
        self.db = db
        self.deadlines = deadlines
    }

    /// The saga of an order, with its timeline; `nil` until the saga has started.
    public distributed func saga(orderID: String) async throws -> SagaView? {
        try ClusterSystem.allow([.member], "saga")
        guard let state = try await SagaStore.find(orderID: orderID, client: self.db) else { return nil }
        return SagaView(
            sagaID: state.sagaID, orderID: state.orderID, status: state.status.rawValue, timeline: state.timeline)
    }

    /// Sagas not yet completed or compensated, from memory (cheap enough to ask several times a second, for
    /// the gateway's admission control).
    public distributed func unfinished() async throws -> Int {
        try ClusterSystem.allow([.member, .client], "unfinished")
        guard let deadlines = self.deadlines else { throw RuntimeError(.badCall, "this saga service does not count") }
        return deadlines.unfinished
    }

    /// Which of `orderIDs` have a saga (the gateway's reconciler asks about orders it accepted a while ago).
    public distributed func startedOrders(_ orderIDs: [String]) async throws -> [String] {
        try ClusterSystem.allow([.member], "startedOrders")
        guard !orderIDs.isEmpty else { return [] }
        return try await self.db.query(
            "SELECT order_id FROM sagas WHERE order_id = ANY($1::text[])", [PostgresArray(orderIDs)]
        ).rows.map { try $0.string("order_id") }
    }

    /// Sagas by status, for `node status`.
    public distributed func counts() async throws -> [String: Int] {
        try ClusterSystem.allow([.member, .client], "counts")
        var counts: [String: Int] = [:]
        for row in try await self.db.query("SELECT status, count(*) AS n FROM sagas GROUP BY status").rows {
            counts[try row.string("status")] = try row.int("n")
        }
        return counts
    }
}
