import Foundation

/// Runs blocking work (processes, file locks) on a thread of its own, so that awaiting it never blocks the
/// cooperative pool or an event loop. For rare, slow operations only: one thread per call.
enum Blocking {
    static func run<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = name
            thread.start()
        }
    }
}
