import ActorRuntime
import HTTPTypes
import Hummingbird
import Logging

/// The outermost middleware: turns every error into a JSON answer (404, 405 with `Allow`, 413, ...; a 500
/// only for a bug, logged), and records each request's route, status and latency.
struct GatewayMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let metrics: GatewayMetrics
    let routes: RouteTable
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = self.response(for: error, request: request)
        }
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        self.metrics.recordRequest(
            route: route, method: request.method.rawValue, status: response.status.code,
            duration: ContinuousClock.now - start)
        self.logger.debug(
            "request",
            metadata: ["method": "\(request.method)", "route": "\(route)", "status": "\(response.status.code)"])
        return response
    }

    func response(for error: any Error, request: Request) -> Response {
        switch error {
        case let error as GatewayError:
            return error.response
        case let error as HTTPError where error.status == .notFound:
            let allowed = self.routes.methods(for: request.uri.path)
            guard !allowed.isEmpty else {
                return GatewayError(.notFound, "Not found: no route \(request.uri.path.prefix(200))").response
            }
            var refusal = GatewayError(.methodNotAllowed, "Method \(request.method) is not allowed here")
            refusal.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
            return refusal.response
        case let error as HTTPError:
            return GatewayError(error.status, error.body ?? error.status.reasonPhrase).response
        case let error as any HTTPResponseError:
            return GatewayError(error.status, error.status.reasonPhrase).response
        case let error as PostgresError where error.isTransient:
            self.logger.warning("gateway database unavailable", metadata: ["error": "\(error)"])
            return GatewayError(.serviceUnavailable, "The gateway's database is unavailable; try again").response
        case let error as RuntimeError:
            return Backends.map(error, service: "backend").response
        default:
            self.logger.error(
                "unhandled error", metadata: ["route": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
            return GatewayError.internalError.response
        }
    }
}

/// The gateway's routes by path pattern, to tell a wrong method (405) from an unknown path (404).
struct RouteTable: Sendable {
    private var entries: [(segments: [Substring], methods: [HTTPRequest.Method])] = []

    mutating func add(_ method: HTTPRequest.Method, _ path: String) {
        let segments = path.split(separator: "/")
        if let index = self.entries.firstIndex(where: { $0.segments == segments }) {
            self.entries[index].methods.append(method)
        } else {
            self.entries.append((segments, [method]))
        }
    }

    func methods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        return self.entries.first { entry in
            entry.segments.count == segments.count
                && zip(entry.segments, segments).allSatisfy { $0.0.hasPrefix("{") || $0.0 == $0.1 }
        }?.methods ?? []
    }
}
