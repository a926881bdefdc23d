import ActorRuntime

/// A bad query parameter, shared with the caller (the gateway turns it into a 400 naming the parameter).
public struct QueryError: ClusterShareableError, Codable, Equatable {
    public var parameter: String
    public var problem: String

    public init(_ parameter: String, _ problem: String) {
        self.parameter = parameter
        self.problem = problem
    }

    public var code: String { "invalid_parameter" }
    public var safeMessage: String { "\(self.parameter): \(self.problem)" }
}
