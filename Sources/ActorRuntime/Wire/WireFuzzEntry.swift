import Distributed
import NIOCore

/// Decoders that only run after a handshake, reachable by the fuzz target and the corpus test (which live in
/// other modules): call and reply bodies, and the binary codec on their arguments and values. Errors are the
/// expected outcome for garbage; a crash, trap or hang is a bug.
public enum WireFuzzEntry {
    /// What one connection's receiving side keeps between frames: the call targets the peer defined.
    public struct Connection {
        var targets = Wire.TargetTable(capacity: 16)

        public init() {}

        public mutating func decode(_ frame: Wire.Frame) {
            WireFuzzEntry.decodeAfterHandshake(frame, targets: &self.targets)
        }
    }

    static func decodeAfterHandshake(_ frame: Wire.Frame, targets: inout Wire.TargetTable) {
        var body = frame.body
        switch frame.kind {
        case .call:
            let defined = targets.targets.count
            guard let call = try? Wire.Call.decode(from: &body, targets: &targets) else { return }
            // A new definition is looked up among the direct methods, which demangles the peer's name once.
            if targets.targets.count > defined { _ = RemoteCallTarget(call.target).description }
            for argument in call.arguments.prefix(8) { Self.decodeValues(argument) }
        case .reply:
            guard let reply = try? Wire.Reply.decode(from: &body) else { return }
            if case .value(let value) = reply.outcome { Self.decodeValues(value) }
        case .ping, .pong:
            _ = try? Wire.Ping.decode(from: &body)
        default:
            break
        }
    }

    /// The hot runtime types and a few generic shapes.
    static func decodeValues(_ buffer: ByteBuffer) {
        _ = try? BinaryDecoder().decode(DeliveryBatch.self, from: buffer)
        _ = try? BinaryDecoder().decode(DeliveryReport.self, from: buffer)
        _ = try? BinaryDecoder().decode(MailboxStats.self, from: buffer)
        _ = try? BinaryDecoder().decode([String: [Int?]].self, from: buffer)
        _ = try? BinaryDecoder().decode([[UInt8]].self, from: buffer)
        _ = try? BinaryDecoder().decode(String.self, from: buffer)
        _ = try? BinaryDecoder().decode(Double.self, from: buffer)
    }

    /// A valid call frame carrying a delivery batch, and a reply carrying a report: seeds for mutation.
    public static func seedFrames() -> [Wire.Outbound] {
        let batch = DeliveryBatch(
            source: "order", destination: "order-saga",
            messages: [
                MailboxMessage(
                    id: "m-1", type: "OrderCreated", sagaID: "s-1", payload: Array("payload".utf8), source: "order")
            ])
        let argument = (try? BinaryEncoder().encode(batch)) ?? ByteBuffer()
        let report = (try? BinaryEncoder().encode(DeliveryReport(accepted: 1, duplicates: 0))) ?? ByteBuffer()
        let deliver = "$s12ActorRuntime15MailboxEndpointC7deliveryAA14DeliveryReportVAA0F5BatchVYaKFTE"
        let call = Wire.Call(callID: 1, recipient: "/mailbox/order-saga", target: deliver, arguments: [argument])
        var second = call
        second.callID = 2
        return [
            .call(call),  // defines target 0
            .call(second),  // uses it
            .call(Wire.Call(callID: 3, recipient: "/service/x", target: "not-a-mangled-name", arguments: [])),
            .reply(Wire.Reply(callID: 1, outcome: .value(report))),
            .reply(Wire.Reply(callID: 2, outcome: .error(RemoteError(code: "bad_call", message: "m", errorType: "T")))),
        ]
    }

    /// The bytes `outbound` becomes on one connection (call targets interned).
    public static func serialize(_ outbound: [Wire.Outbound]) -> [UInt8] {
        var out = ByteBuffer()
        let serializer = Wire.FrameSerializer()
        var interner = Wire.TargetInterner()
        for item in outbound { serializer.write(item, interner: &interner, into: &out) }
        return Array(out.readableBytesView)
    }
}
