import Testing

@testable import ShopActors

@Suite struct PasswordHasherTests {
    @Test func theDecoyForUnknownEmailsIsHashedAtTheConfiguredCost() async throws {
        #expect(
            PasswordHasher.decoy(cost: 11).hasPrefix("$2b$11$") || PasswordHasher.decoy(cost: 11).hasPrefix("$2a$11$"))
        #expect(PasswordHasher.decoy(cost: 10).contains("$10$"))
        // An unknown email (no hash) is checked against it, and never matches.
        #expect(try await PasswordHasher(cost: 11).verify("anything", hash: nil) == false)
    }
}
