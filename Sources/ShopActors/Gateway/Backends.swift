import ActorRuntime
import Distributed
import HTTPTypes

/// The gateway's request/reply calls to other services (gRPC in the original), with a deadline, and with
/// failures turned into answers a client can act on: 503 when a service cannot be reached, 400 when it
/// rejected a parameter.
struct Backends: Sendable {
    let system: ClusterSystem
    /// Which nodes host each service (from cluster.conf); query actors answer on standby nodes too.
    let directory: ServiceDirectory
    let timeout: Duration

    func products() throws -> ProductService {
        try ProductService.resolve(id: try self.id("product", ProductService.path), using: self.system)
    }

    func history() throws -> OrderHistoryService {
        try OrderHistoryService.resolve(id: try self.id("order-history", OrderHistoryService.path), using: self.system)
    }

    func sagas() throws -> OrderSagaService {
        try OrderSagaService.resolve(id: try self.id("order-saga", OrderSagaService.path), using: self.system)
    }

    func payments() throws -> PaymentService {
        try PaymentService.resolve(id: try self.id("payment", PaymentService.path), using: self.system)
    }

    private func id(_ service: String, _ path: String) throws -> ActorID {
        guard let node = self.directory[service] else {
            throw GatewayError(.serviceUnavailable, "The \(service) service is not placed on any node")
        }
        return ActorID(node: node, path: path)
    }

    /// Runs one call to `service` under the read deadline, mapping its failures. A call that never reached
    /// the service (its node is down) is tried once more on the service's next node, if it has one.
    func call<T: Sendable>(_ service: String, _ body: () async throws -> T) async throws -> T {
        var retried = false
        while true {
            let node = self.directory[service]
            do {
                return try await ClusterSystem.withCallTimeout(self.timeout) { try await body() }
            } catch let error as RuntimeError {
                guard !retried, Self.neverArrived(error), let node, self.directory.nodes(for: service).count > 1 else {
                    throw Self.map(error, service: service)
                }
                self.directory.moveOn(from: node, for: service)
                retried = true
            }
        }
    }

    private static func neverArrived(_ error: RuntimeError) -> Bool {
        error.code == .peerUnreachable || error.code == .unknownActor || error.code == .unknownNode
            || error.code == .standby
            || error.remote?.code == RuntimeError.Code.standby.description
    }

    static func map(_ error: RuntimeError, service: String) -> GatewayError {
        if error.code == .remoteCallFailed, let remote = error.remote, remote.code == "invalid_parameter" {
            let parameter = remote.message.split(separator: ":", maxSplits: 1).first.map(String.init)
            return GatewayError(.badRequest, remote.message, parameter: parameter)
        }
        switch error.code {
        case .remoteCallFailed:
            return GatewayError(.badGateway, "The \(service) service failed to answer the request")
        case .callTimedOut:
            return GatewayError(.serviceUnavailable, "The \(service) service did not answer in time; try again")
        default:
            return GatewayError(.serviceUnavailable, "The \(service) service is unavailable (\(error.code)); try again")
        }
    }
}
