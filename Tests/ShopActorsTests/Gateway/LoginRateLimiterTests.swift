import Foundation
import Synchronization
import Testing

@testable import ShopActors

/// The login limiter on a clock the test moves: no HTTP, no database.
@Suite struct LoginRateLimiterTests {
    final class Clock: Sendable {
        let now = Mutex(Date(timeIntervalSince1970: 1_000_000))
        func advance(_ seconds: TimeInterval) { self.now.withLock { $0 += seconds } }
    }

    @Test func aKeyOverItsLimitWaitsUntilItsWindowEnds() {
        let clock = Clock()
        let limiter = LoginRateLimiter(window: .seconds(300), now: { clock.now.withLock { $0 } })
        for _ in 0..<3 { #expect(limiter.begin([("email:a", 3)]) == nil) }
        #expect(limiter.begin([("email:a", 3)]) == 300)
        clock.advance(100)
        #expect(limiter.begin([("email:a", 3)]) == 200)
        #expect(limiter.begin([("email:b", 3)]) == nil)  // other keys are not affected
        clock.advance(200)
        #expect(limiter.begin([("email:a", 3)]) == nil)  // a new window
    }

    @Test func aRefusedAttemptCountsAgainstNoKeyAndASuccessGivesItsAttemptBack() {
        let clock = Clock()
        let limiter = LoginRateLimiter(window: .seconds(60), now: { clock.now.withLock { $0 } })
        #expect(limiter.begin([("email:a", 1), ("client:x", 2)]) == nil)
        // email:a is full: refused, and client:x is not charged for it.
        #expect(limiter.begin([("email:a", 1), ("client:x", 2)]) == 60)
        #expect(limiter.begin([("client:x", 2)]) == nil)
        #expect(limiter.begin([("client:x", 2)]) == 60)
        limiter.succeeded(clear: ["email:a"], refund: ["client:x"])
        #expect(limiter.begin([("email:a", 1), ("client:x", 2)]) == nil)
    }
}
