import CLibPQ
import Foundation
import Synchronization

/// `LISTEN` on one channel, on a connection and thread of its own: every notification's payload is handed to
/// `onNotification` (on that thread; keep it short). libpq blocks, so this never runs on an event loop or the
/// cooperative pool. A lost connection is reopened, and `LISTEN` issued again, after a short pause;
/// notifications sent while it was down are lost (Postgres does not keep them for absent listeners).
public final class PostgresListener: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let ready = Mutex<CheckedContinuation<Void, any Error>?>(nil)

    /// Starts listening; returns once `LISTEN` is in effect, so notifications sent after it are seen.
    ///
    /// - Parameter channel: a channel name of `[a-z0-9_]` (it cannot be a parameter).
    public init(url: String, channel: String, onNotification: @escaping @Sendable (String) -> Void) async throws {
        guard !channel.isEmpty,
            channel.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 })
        else {
            throw PostgresError(sqlState: nil, message: "channel names are [a-z0-9_]")
        }
        let conninfo = PostgresClient.Configuration(url: url).conninfo
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            self.ready.withLock { $0 = continuation }
            let thread = Thread { [self] in
                self.loop(conninfo: conninfo, channel: channel, onNotification: onNotification)
            }
            thread.name = "postgres-listen"
            thread.start()
        }
    }

    /// Stops listening (within about 100 ms).
    public func stop() {
        self.stopped.store(true, ordering: .releasing)
    }

    private func signalReady(_ result: Result<Void, any Error>) {
        self.ready.withLock { continuation in
            continuation?.resume(with: result)
            continuation = nil
        }
    }

    private func loop(conninfo: String, channel: String, onNotification: @Sendable (String) -> Void) {
        var connection: OpaquePointer?
        var listening = false
        defer { if let connection { PQfinish(connection) } }
        while !self.stopped.load(ordering: .acquiring) {
            if connection == nil || PQstatus(connection) != CONNECTION_OK {
                if let old = connection { PQfinish(old) }
                connection = Self.open(conninfo, channel: channel)
                if connection == nil {
                    guard listening else {
                        // Never started: the caller gets the error and nobody would stop this thread.
                        self.signalReady(
                            .failure(
                                PostgresError(
                                    sqlState: "08001", message: "LISTEN \(channel): cannot connect",
                                    isConnectionFailure: true)))
                        return
                    }
                    usleep(200_000)
                    continue
                }
                listening = true
                self.signalReady(.success(()))
            }
            var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, 100)
            guard PQconsumeInput(connection) == 1 else { continue }  // lost: reopened above
            while let notification = PQnotifies(connection) {
                onNotification(String(cString: notification.pointee.extra))
                PQfreemem(notification)
            }
        }
    }

    private static func open(_ conninfo: String, channel: String) -> OpaquePointer? {
        guard let connection = PQconnectdb(conninfo) else { return nil }
        guard PQstatus(connection) == CONNECTION_OK, let result = PQexec(connection, "LISTEN \(channel)") else {
            PQfinish(connection)
            return nil
        }
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COMMAND_OK else {
            PQfinish(connection)
            return nil
        }
        return connection
    }
}
