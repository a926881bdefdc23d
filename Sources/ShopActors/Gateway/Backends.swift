import ActorRuntime
import Distributed
import HTTPTypes

/// The gateway's request/reply calls to other services (gRPC in the original), with a deadline, and with
/// failures turned into answers a client can act on: 503 when a service cannot be reached, 400 when it
/// rejected a parameter.
struct Backends: Sendable {
    let system: ClusterSystem
    /// Which node hosts each service (from cluster.conf).
    let directory: [String: String]
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

    /// Runs one call to `service` under the read deadline, mapping its failures.
    func call<T: Sendable>(_ service: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await ClusterSystem.withCallTimeout(self.timeout) { try await body() }
        } catch let error as RuntimeError {
            throw Self.map(error, service: service)
        }
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
