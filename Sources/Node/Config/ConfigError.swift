/// A problem in `cluster.conf`, naming the key it concerns. `node` prints it and exits with status 2.
struct ConfigError: Error, Equatable, CustomStringConvertible {
    /// Dotted path of the offending key (`nodes.edge.address`), or `""` for the file as a whole.
    var key: String
    var problem: String

    init(_ key: String, _ problem: String) {
        self.key = key
        self.problem = problem
    }

    var description: String { self.key.isEmpty ? self.problem : "\(self.key): \(self.problem)" }
}
