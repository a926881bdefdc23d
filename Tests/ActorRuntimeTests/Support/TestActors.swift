import ActorRuntime
import Distributed

struct OutOfStock: ClusterShareableError, Codable {
    var product: String
    var code: String { "out_of_stock" }
    var safeMessage: String { "product \(self.product) is out of stock" }
}

struct SecretFailure: Error {
    var sql = "SELECT password FROM users"
}

struct LineItem: Codable, Sendable, Equatable {
    var productID: String
    var quantity: Int
    var note: String?
}

struct Basket: Codable, Sendable, Equatable {
    var userID: String
    var items: [LineItem]
    var total: Double
    var tags: [String: Int]
}

/// Counts every distributed call it executes, so tests can assert that a method never ran.
distributed actor Probe {
    typealias ActorSystem = ClusterSystem

    private(set) var calls = 0

    distributed func greet(_ name: String, times: Int) -> String {
        self.calls += 1
        return Array(repeating: "hello \(name)", count: times).joined(separator: ", ")
    }

    distributed func echo(_ basket: Basket) -> Basket {
        self.calls += 1
        return basket
    }

    distributed func size(of text: String) -> Int {
        self.calls += 1
        return text.utf8.count
    }

    distributed func bump() {
        self.calls += 1
    }

    distributed func reserve(_ product: String) throws -> Int {
        self.calls += 1
        throw OutOfStock(product: product)
    }

    distributed func leak() throws {
        self.calls += 1
        throw SecretFailure()
    }

    distributed func sleep(milliseconds: Int) async throws -> Int {
        self.calls += 1
        try await Task.sleep(for: .milliseconds(milliseconds))
        return milliseconds
    }

    distributed func peer(_ other: Probe) async throws -> String {
        self.calls += 1
        return try await other.greet("via \(self.id.node)", times: 1)
    }

    distributed func callCount() -> Int { self.calls }
}
