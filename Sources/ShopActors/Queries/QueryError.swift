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

/// Page and limit as the original takes them, with the limit capped.
public struct PageRequest: Codable, Sendable, Equatable {
    public static let maxLimit = 100

    public var page: Int
    public var limit: Int

    public init(page: Int = 1, limit: Int = 10) {
        self.page = page
        self.limit = limit
    }

    func validated() throws -> (offset: Int, limit: Int) {
        guard self.page >= 1, self.page <= 1_000_000 else { throw QueryError("page", "must be 1 or more") }
        guard self.limit >= 1 else { throw QueryError("limit", "must be 1 or more") }
        let limit = min(self.limit, Self.maxLimit)
        return ((self.page - 1) * limit, limit)
    }
}

/// Go's `time.Time.String()` form the original's JSON uses: `2025-10-03 11:19:46.123456 +0000 UTC`.
enum GoTime {
    /// SQL that renders a UTC `timestamp` column as Go would (fraction without trailing zeros).
    static func sql(_ column: String) -> String {
        """
        (to_char(\(column), 'YYYY-MM-DD HH24:MI:SS') ||
         CASE WHEN extract(microseconds FROM \(column))::int % 1000000 = 0 THEN ''
              ELSE '.' || rtrim(to_char(\(column), 'US'), '0') END || ' +0000 UTC')
        """
    }
}
