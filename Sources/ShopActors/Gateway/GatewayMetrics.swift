import ActorRuntime
import CoreMetrics
import Metrics
import Prometheus

/// The gateway's Prometheus metrics. Own registry (no global bootstrap), so several gateways in one process
/// (tests, the all-in-one node) keep separate counts.
final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    let ordersCreated: CoreMetrics.Counter
    let ordersReplayed: CoreMetrics.Counter

    init() {
        var factory = PrometheusMetricsFactory(registry: self.registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        self.factory = factory
        self.ordersCreated = CoreMetrics.Counter(label: "shop_orders_created_total", factory: factory)
        self.ordersReplayed = CoreMetrics.Counter(label: "shop_orders_idempotent_replays_total", factory: factory)
    }

    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        CoreMetrics.Counter(
            label: "http_requests_total", dimensions: [("route", route), ("method", method), ("status", "\(status)")],
            factory: self.factory
        ).increment()
        CoreMetrics.Timer(label: "http_request_duration_seconds", dimensions: [("route", route), ("method", method)], factory: self.factory)
            .record(duration: duration)
    }

    /// Reads the cluster's state into gauges, then renders everything in the Prometheus text format.
    func scrape(_ backends: Backends) async -> String {
        let services = backends.directory.keys.sorted()
        await withTaskGroup(of: Void.self) { group in
            for service in services {
                group.addTask {
                    let stats = try? await backends.call(service) { try await backends.mailbox(of: service).stats() }
                    self.gauge("shop_service_up", service, stats == nil ? 0 : 1)
                    guard let stats else { return }
                    self.gauge("shop_mailbox_pending", service, Double(stats.pending.values.reduce(0, +)))
                    self.gauge("shop_mailbox_scheduled", service, Double(stats.scheduled))
                    self.gauge("shop_mailbox_oldest_pending_seconds", service, stats.oldestPendingSeconds)
                    self.gauge("shop_mailbox_dead_letters", service, Double(stats.deadLetters))
                }
            }
            group.addTask {
                guard let counts = try? await backends.call("order-saga", { try await backends.sagas().counts() }) else { return }
                for status in ["running", "compensating", "completed", "compensated"] {
                    CoreMetrics.Gauge(label: "shop_sagas", dimensions: [("status", status)], factory: self.factory)
                        .record(Double(counts[status] ?? 0))
                }
            }
        }
        return self.registry.emitToString()
    }

    private func gauge(_ name: String, _ service: String, _ value: Double) {
        CoreMetrics.Gauge(label: name, dimensions: [("service", service)], factory: self.factory).record(value)
    }
}
