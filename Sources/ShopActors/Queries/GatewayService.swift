import ActorRuntime
import Distributed

/// The gateway's request/reply face, at `/service/gateway`: what `node status` and the dashboard ask it.
public distributed actor GatewayService {
    public typealias ActorSystem = ClusterSystem
    public static let path = "/service/gateway"

    private let control: AdmissionControl

    init(actorSystem: ClusterSystem, admission: AdmissionControl) {
        self.actorSystem = actorSystem
        self.control = admission
    }

    /// Orders accepted, shed and in flight, and the limit.
    public distributed func admission() async throws -> AdmissionReport {
        try ClusterSystem.allow([.member, .client], "admission")
        return self.control.report
    }
}
