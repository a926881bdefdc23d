import TOMLKit

/// Reads one TOML table strictly: every key it is asked for is typed-checked, and `finish()` rejects the keys
/// nobody asked for, so a typo is an error rather than a silently ignored setting.
struct TOMLReader {
    let table: TOMLTable
    let path: String
    private var consumed: Set<String> = []

    init(_ table: TOMLTable, path: String) {
        self.table = table
        self.path = path
    }

    func key(_ name: String) -> String { self.path.isEmpty ? name : "\(self.path).\(name)" }

    private mutating func value(_ name: String) -> (any TOMLValueConvertible)? {
        self.consumed.insert(name)
        return self.table[name]
    }

    mutating func string(_ name: String) throws -> String? {
        guard let value = self.value(name) else { return nil }
        guard let string = value.string else { throw ConfigError(self.key(name), "must be a string") }
        return string
    }

    mutating func requiredString(_ name: String) throws -> String {
        guard let string = try self.string(name) else { throw ConfigError(self.key(name), "is required") }
        return string
    }

    mutating func int(_ name: String) throws -> Int? {
        guard let value = self.value(name) else { return nil }
        guard let int = value.int else { throw ConfigError(self.key(name), "must be an integer") }
        return int
    }

    mutating func bool(_ name: String) throws -> Bool? {
        guard let value = self.value(name) else { return nil }
        guard let bool = value.bool else { throw ConfigError(self.key(name), "must be true or false") }
        return bool
    }

    mutating func strings(_ name: String) throws -> [String]? {
        guard let value = self.value(name) else { return nil }
        guard let array = value.array else { throw ConfigError(self.key(name), "must be an array of strings") }
        return try array.map {
            guard let string = $0.string else { throw ConfigError(self.key(name), "must be an array of strings") }
            return string
        }
    }

    mutating func table(_ name: String) throws -> TOMLReader? {
        guard let value = self.value(name) else { return nil }
        guard let table = value.table else { throw ConfigError(self.key(name), "must be a table") }
        return TOMLReader(table, path: self.key(name))
    }

    /// The keys of this table, for tables whose keys are names (such as `[nodes.NAME]`).
    var keys: [String] { self.table.keys.sorted() }

    func finish() throws {
        if let unknown = self.table.keys.sorted().first(where: { !self.consumed.contains($0) }) {
            throw ConfigError(self.key(unknown), "unknown key")
        }
    }
}
