import ActorRuntime
import Distributed

/// The benchmark's remote end: returns what it gets.
distributed actor EchoActor {
    typealias ActorSystem = ClusterSystem

    distributed func echo(_ payload: BenchPayload) -> BenchPayload {
        payload
    }
}

struct BenchPayload: Codable, Sendable {
    var bytes: [UInt8]
}
