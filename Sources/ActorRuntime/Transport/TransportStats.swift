import Synchronization

/// Byte and frame counters of a node's connections, for tests, benchmarks and `node status`.
public final class TransportStats: Sendable {
    public struct Snapshot: Sendable, Equatable, Codable {
        public var bytesSent: Int
        public var bytesReceived: Int
        public var framesSent: Int
        public var framesReceived: Int
        public var framesDeflated: Int
        /// Inbound calls run through a registered direct method, and through `executeDistributedTarget`.
        public var callsDirect: Int
        public var callsGeneric: Int
        /// Handshakes this node refused (the peer failed a check), and handshakes peers refused.
        public var handshakesRefused: Int
        public var handshakesRejected: Int
    }

    private let bytesSent = Atomic<Int>(0)
    private let bytesReceived = Atomic<Int>(0)
    private let framesSent = Atomic<Int>(0)
    private let framesReceived = Atomic<Int>(0)
    private let framesDeflated = Atomic<Int>(0)
    private let callsDirect = Atomic<Int>(0)
    private let callsGeneric = Atomic<Int>(0)
    private let handshakesRefused = Atomic<Int>(0)
    private let handshakesRejected = Atomic<Int>(0)

    public init() {}

    func sent(bytes: Int, deflated: Bool) {
        self.bytesSent.add(bytes, ordering: .relaxed)
        self.framesSent.add(1, ordering: .relaxed)
        if deflated { self.framesDeflated.add(1, ordering: .relaxed) }
    }

    func received(bytes: Int) {
        self.bytesReceived.add(bytes, ordering: .relaxed)
        self.framesReceived.add(1, ordering: .relaxed)
    }

    func dispatched(direct: Bool) {
        if direct {
            self.callsDirect.add(1, ordering: .relaxed)
        } else {
            self.callsGeneric.add(1, ordering: .relaxed)
        }
    }

    func handshakeFailed(refusedByUs: Bool) {
        if refusedByUs {
            self.handshakesRefused.add(1, ordering: .relaxed)
        } else {
            self.handshakesRejected.add(1, ordering: .relaxed)
        }
    }

    public var snapshot: Snapshot {
        Snapshot(
            bytesSent: self.bytesSent.load(ordering: .relaxed),
            bytesReceived: self.bytesReceived.load(ordering: .relaxed),
            framesSent: self.framesSent.load(ordering: .relaxed),
            framesReceived: self.framesReceived.load(ordering: .relaxed),
            framesDeflated: self.framesDeflated.load(ordering: .relaxed),
            callsDirect: self.callsDirect.load(ordering: .relaxed),
            callsGeneric: self.callsGeneric.load(ordering: .relaxed),
            handshakesRefused: self.handshakesRefused.load(ordering: .relaxed),
            handshakesRejected: self.handshakesRejected.load(ordering: .relaxed)
        )
    }
}
