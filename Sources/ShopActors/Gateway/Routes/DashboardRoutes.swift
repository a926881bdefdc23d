import ActorRuntime
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension Gateway {
    /// What the dashboard polls: the cluster report plus the saga samples.
    struct DashboardState: Codable {
        var report: ClusterReport
        var sagaHistory: [SagaHistory.Sample]
        enum CodingKeys: String, CodingKey { case report, sagaHistory = "saga_history" }
    }

    func addDashboardRoutes(to routes: inout [(HTTPRequest.Method, String, Handler)]) {
        routes.append(
            (
                .get, "/ui",
                { _, _ in
                    Response(
                        status: .ok,
                        headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: DashboardPage.html)))
                }
            ))
        routes.append(
            (
                .get, "/ui/cluster.json",
                { _, _ in
                    JSONResponse.make(
                        DashboardState(report: await self.clusterReport(), sagaHistory: self.sagaHistory.all))
                }
            ))
    }

    /// The cluster as the gateway's node sees it: every member, with the services cluster.conf put there.
    func clusterReport() async -> ClusterReport {
        let status = self.backends.system.status()
        var servicesByNode: [String: [String]] = [:]
        for (service, nodes) in self.backends.directory.placement {
            for node in nodes { servicesByNode[node, default: []].append(service) }
        }
        let nodes = status.members.map { member in
            (member.name, "\(member.host):\(member.port)", (servicesByNode[member.name] ?? []).sorted())
        }
        return await ClusterReport.gather(
            system: self.backends.system, nodes: nodes, timeout: self.configuration.readTimeout)
    }

    /// Samples saga counts for the dashboard's chart.
    func sampleSagas() async {
        while !Task.isCancelled {
            if let counts = try? await self.backends.call("order-saga", { try await self.backends.sagas().counts() }) {
                self.sagaHistory.record(counts)
            }
            do { try await Task.sleep(for: .seconds(10)) } catch { return }
        }
    }
}
