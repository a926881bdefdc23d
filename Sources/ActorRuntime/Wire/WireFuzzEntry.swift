import NIOCore

/// Decoders that only run after a handshake, reachable by the fuzz target and the corpus test (which live in
/// other modules): call and reply bodies, and the binary codec on their arguments and values. Errors are the
/// expected outcome for garbage; a crash, trap or hang is a bug.
public enum WireFuzzEntry {
    public static func decodeAfterHandshake(_ frame: Wire.Frame) {
        var body = frame.body
        switch frame.kind {
        case .call:
            guard let call = try? Wire.Call.decode(from: &body) else { return }
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
    public static func seedFrames() -> [Wire.Frame] {
        let batch = DeliveryBatch(source: "order", destination: "order-saga", messages: [
            MailboxMessage(id: "m-1", type: "OrderCreated", sagaID: "s-1", payload: Array("payload".utf8), source: "order"),
        ])
        let argument = (try? BinaryEncoder().encode(batch)) ?? ByteBuffer()
        let report = (try? BinaryEncoder().encode(DeliveryReport(accepted: 1, duplicates: 0))) ?? ByteBuffer()
        return [
            .call(Wire.Call(callID: 1, recipient: "/mailbox/order-saga", target: "deliver", arguments: [argument])),
            .reply(Wire.Reply(callID: 1, outcome: .value(report))),
            .reply(Wire.Reply(callID: 2, outcome: .error(RemoteError(code: "bad_call", message: "m", errorType: "T")))),
        ]
    }

    /// The bytes `frames` become on the wire.
    public static func serialize(_ frames: [Wire.Frame]) -> [UInt8] {
        var out = ByteBuffer()
        let serializer = Wire.FrameSerializer()
        for frame in frames { serializer.write(frame, into: &out) }
        return Array(out.readableBytesView)
    }
}
