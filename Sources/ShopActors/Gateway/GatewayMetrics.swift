import ActorRuntime
import CoreMetrics
import Foundation
import Metrics
import Prometheus

/// The gateway's Prometheus metrics. Own registry (no global bootstrap), so several gateways in one process
/// (tests, the all-in-one node) keep separate counts.
final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    let ordersCreated: CoreMetrics.Counter
    let ordersReplayed: CoreMetrics.Counter
    let ordersShed: CoreMetrics.Counter

    init() {
        var factory = PrometheusMetricsFactory(registry: self.registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        self.factory = factory
        self.ordersCreated = CoreMetrics.Counter(label: "shop_orders_created_total", factory: factory)
        self.ordersReplayed = CoreMetrics.Counter(label: "shop_orders_idempotent_replays_total", factory: factory)
        self.ordersShed = CoreMetrics.Counter(label: "shop_orders_shed_total", factory: factory)
    }

    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        CoreMetrics.Counter(
            label: "http_requests_total", dimensions: [("route", route), ("method", method), ("status", "\(status)")],
            factory: self.factory
        ).increment()
        CoreMetrics.Timer(
            label: "http_request_duration_seconds", dimensions: [("route", route), ("method", method)],
            factory: self.factory
        )
        .record(duration: duration)
    }

    /// Sets the cluster gauges from `report` (the same picture `node status` and the dashboard show), then
    /// renders everything in the Prometheus text format.
    func scrape(_ report: ClusterReport) -> String {
        // A service listed on several nodes counts once, by the instance that runs it (or any that answered).
        var chosen: [String: ClusterReport.ServiceQueue] = [:]
        for queue in report.services {
            let current = chosen[queue.service]
            if current == nil || (!current!.reachable && queue.reachable)
                || (queue.role == "active" && current!.role != "active")
            {
                chosen[queue.service] = queue
            }
            if let role = queue.role {
                CoreMetrics.Gauge(
                    label: "shop_service_active", dimensions: [("service", queue.service), ("node", queue.node)],
                    factory: self.factory
                )
                .record(role == "active" ? 1 : 0)
            }
        }
        for queue in chosen.values {
            if let epoch = queue.leaseEpoch { self.gauge("shop_service_lease_epoch", queue.service, Double(epoch)) }
            if let failover = queue.lastFailoverAt {
                self.gauge(
                    "shop_service_last_failover_timestamp_seconds", queue.service, failover.timeIntervalSince1970)
            }
        }
        for queue in chosen.values.sorted(by: { $0.service < $1.service }) {
            self.gauge("shop_service_up", queue.service, queue.reachable ? 1 : 0)
            guard queue.reachable else { continue }
            self.gauge("shop_mailbox_pending", queue.service, Double(queue.pending ?? 0))
            self.gauge("shop_mailbox_scheduled", queue.service, Double(queue.scheduled ?? 0))
            self.gauge("shop_mailbox_oldest_pending_seconds", queue.service, queue.oldestPendingSeconds ?? 0)
            self.gauge("shop_mailbox_dead_letters", queue.service, Double(queue.deadLetters ?? 0))
        }
        if let counts = report.sagas {
            for status in OrderSagaState.Status.allCases.map(\.rawValue) {
                CoreMetrics.Gauge(label: "shop_sagas", dimensions: [("status", status)], factory: self.factory)
                    .record(Double(counts[status] ?? 0))
            }
        }
        if let admission = report.admission {
            CoreMetrics.Gauge(label: "shop_orders_in_flight", factory: self.factory).record(Double(admission.inFlight))
            CoreMetrics.Gauge(label: "shop_orders_in_flight_limit", factory: self.factory).record(
                Double(admission.limit))
            CoreMetrics.Gauge(label: "shop_orders_stuck", factory: self.factory).record(Double(admission.stuck))
            CoreMetrics.Gauge(label: "shop_orders_stuck_oldest_seconds", factory: self.factory).record(
                admission.oldestStuckSeconds)
            CoreMetrics.Gauge(label: "shop_orders_resolved", factory: self.factory).record(Double(admission.resolved))
        }
        return self.registry.emitToString()
    }

    private func gauge(_ name: String, _ service: String, _ value: Double) {
        CoreMetrics.Gauge(label: name, dimensions: [("service", service)], factory: self.factory).record(value)
    }
}
