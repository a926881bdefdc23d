import ActorRuntime
import Distributed

/// The gateway's request/reply face, at `/service/gateway`: what `node status` and the dashboard ask it.
public distributed actor GatewayService {
    public typealias ActorSystem = ClusterSystem
    public static let path = "/service/gateway"

    private let gateway: Gateway

    init(actorSystem: ClusterSystem, gateway: Gateway) {
        self.actorSystem = actorSystem
        self.gateway = gateway
    }

    /// Orders accepted, shed and in flight, the limit, and stuck or resolved orders.
    public distributed func admission() async throws -> AdmissionReport {
        try ClusterSystem.allow([.member, .client], "admission")
        return self.gateway.ordersReport
    }
}
