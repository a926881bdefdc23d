import ActorRuntime
import ArgumentParser
import Distributed
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

struct TransportBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport",
        abstract: "Request/reply distributed calls between two nodes over loopback TCP, against a plain NIO echo."
    )

    @Option(help: "Seconds to measure each side.") var seconds: Double = 5
    @Option(help: "Payload bytes per request (and reply).") var payload: Int = 256
    @Option(help: "Calls in flight.") var concurrency: Int = 64
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Option(help: "Frame protection between the two nodes: plain, authenticated or encrypted.") var frames = "plain"
    @Flag(help: "Dispatch through executeDistributedTarget only (no direct method registered).") var genericDispatch =
        false
    @Flag(help: .hidden) var skipBaseline = false  // for profiling the cluster side alone

    func validate() throws {
        guard self.seconds > 0, self.seconds <= 3600 else { throw ValidationError("--seconds must be in (0, 3600]") }
        guard (0...(8 << 20)).contains(self.payload) else { throw ValidationError("--payload must be 0...8 MiB") }
        guard (1...10_000).contains(self.concurrency) else { throw ValidationError("--concurrency must be 1...10000") }
        guard Wire.FrameProtection(name: self.frames) != nil else {
            throw ValidationError("--frames must be plain, authenticated or encrypted")
        }
    }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        self.progress("baseline: plain NIO echo, \(self.concurrency) in flight, \(self.payload) B, \(self.seconds) s")
        let baseline = try await NIOEchoBaseline.run(
            payload: self.payload, concurrency: self.concurrency, seconds: self.skipBaseline ? 0.01 : self.seconds,
            group: group
        )
        self.progress("cluster: distributed calls a -> b")
        let cluster = try await self.measureCluster(group: group)

        let baselinePerSecond = Double(baseline.roundTrips) / baseline.seconds
        let callsPerSecond = Double(cluster.calls) / cluster.seconds
        let report: [(String, Double)] = [
            ("calls_per_s", callsPerSecond.rounded()),
            ("p50_us", cluster.latency.quantile(0.50)),
            ("p99_us", cluster.latency.quantile(0.99)),
            ("baseline_per_s", baselinePerSecond.rounded()),
            ("baseline_p50_us", baseline.latency.quantile(0.50)),
            ("baseline_p99_us", baseline.latency.quantile(0.99)),
            ("ratio", (callsPerSecond / baselinePerSecond * 1000).rounded() / 1000),
            ("direct_share", (Double(cluster.direct) / Double(max(cluster.calls, 1)) * 100).rounded() / 100),
            ("wire_bytes_per_call", (Double(cluster.wireBytes) / Double(max(cluster.calls, 1))).rounded()),
            ("payload", Double(self.payload)),
            ("concurrency", Double(self.concurrency)),
            ("seconds", self.seconds),
        ]
        if self.json {
            let fields = report.map { "\"\($0.0)\": \(Self.format($0.1))" }
            print("{" + fields.joined(separator: ", ") + ", \"frames\": \"\(self.frames)\"}")
        } else {
            for (key, value) in report {
                print(key.padding(toLength: 22, withPad: " ", startingAt: 0), Self.format(value))
            }
            print("frames".padding(toLength: 22, withPad: " ", startingAt: 0), self.frames)
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    private func progress(_ message: String) {
        FileHandle.standardError.write(Data("[bench] \(message)\n".utf8))
    }

    struct ClusterResult {
        var calls: Int
        var latency: LatencyRecorder
        var seconds: Double
        var wireBytes: Int
        var direct: Int
    }

    private func measureCluster(group: any EventLoopGroup) async throws -> ClusterResult {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        func settings(_ name: String) -> ClusterSystem.Settings {
            var settings = ClusterSystem.Settings(node: name, secret: "bench-secret")
            settings.logger = logger
            settings.callTimeout = .seconds(30)
            settings.frames = Wire.FrameProtection(name: self.frames)
            return settings
        }
        let a = ClusterSystem(settings: settings("a"), group: group)
        let b = ClusterSystem(settings: settings("b"), group: group)
        try await a.start()
        try await b.start()
        a.addPeer(b.boundAddress!)
        b.addPeer(a.boundAddress!)
        try await a.waitForMembers(["b"])
        let echo = b.makeActor(path: "/service/echo") { EchoActor(actorSystem: b) }
        if !self.genericDispatch {
            b.registerDirectMethod("echo(_:)", of: EchoActor.self) { actor, payload in try await actor.echo(payload) }
        }
        let remote = try EchoActor.resolve(id: echo.id, using: a)
        let message = BenchPayload(bytes: [UInt8](repeating: 0x61, count: self.payload))

        // Warm up connections, allocators and caches before measuring.
        for _ in 0..<200 { _ = try await remote.echo(message) }

        let before = a.transportStats.snapshot
        let directBefore = b.transportStats.snapshot.callsDirect
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .nanoseconds(Int64(self.seconds * 1e9))
        let latency = try await withThrowingTaskGroup(of: LatencyRecorder.self) { group in
            for _ in 0..<self.concurrency {
                group.addTask {
                    var recorder = LatencyRecorder()
                    while clock.now < deadline {
                        let sent = NIODeadline.now().uptimeNanoseconds
                        _ = try await remote.echo(message)
                        recorder.record(nanoseconds: NIODeadline.now().uptimeNanoseconds - sent)
                    }
                    return recorder
                }
            }
            var all = LatencyRecorder()
            for try await recorder in group { all.merge(recorder) }
            return all
        }
        let elapsed = clock.now - start
        let after = a.transportStats.snapshot
        let directCalls = b.transportStats.snapshot.callsDirect
        withExtendedLifetime(echo) {}
        await a.shutdown()
        await b.shutdown()
        return ClusterResult(
            calls: latency.count,
            latency: latency,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            wireBytes: (after.bytesSent - before.bytesSent) + (after.bytesReceived - before.bytesReceived),
            direct: directCalls - directBefore
        )
    }
}
