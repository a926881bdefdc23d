import NIOCore

/// Runs tasks on a NIO event loop.
///
/// Inbound calls prefer the event loop their connection lives on: the frame is read, the call decoded, the
/// actor run, and the reply written on one thread, with no hop to the cooperative pool and back. As with any
/// NIO code, a handler must therefore never block (libpq, for one, runs on its own threads).
final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
