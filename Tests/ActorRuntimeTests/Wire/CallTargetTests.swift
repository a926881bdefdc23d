import NIOCore
import Testing

@testable import ActorRuntime

/// Interning: the first call to a target defines it, later calls send a small id, and ids the peer never
/// defined are protocol errors.
@Suite struct CallTargetTests {
    static let method = "$s4main5ProbeC4bumpyyYaKFTE"

    static func call(_ id: UInt64, recipient: String = "/service/probe", method: String = Self.method) -> Wire.Call {
        Wire.Call(callID: id, recipient: recipient, target: method, arguments: [ByteBuffer(string: "x")])
    }

    /// Serialises `calls` as one connection would, and decodes them as the peer would.
    static func roundTrip(_ calls: [Wire.Call], interner: inout Wire.TargetInterner) throws -> (ByteBuffer, [Wire.Call])
    {
        var out = ByteBuffer()
        let serializer = Wire.FrameSerializer()
        for call in calls { serializer.write(.call(call), interner: &interner, into: &out) }
        let bytes = out
        var table = Wire.TargetTable()
        var decoded: [Wire.Call] = []
        while let frame = try Wire.FrameParser().next(from: &out) {
            var body = frame.body
            decoded.append(try Wire.Call.decode(from: &body, targets: &table))
        }
        return (bytes, decoded)
    }

    @Test func laterCallsSendAnIdInsteadOfTheNames() throws {
        var interner = Wire.TargetInterner()
        let calls = [Self.call(1), Self.call(2), Self.call(3, recipient: "/service/other"), Self.call(4)]
        let (bytes, decoded) = try Self.roundTrip(calls, interner: &interner)
        #expect(decoded.map(\.recipient) == calls.map(\.recipient))
        #expect(decoded.map(\.target) == calls.map(\.target))
        #expect(decoded.map(\.targetID) == [0, 0, 1, 0])
        // Names once per target, then 4 bytes of id: the two repeated calls are far smaller than the first.
        var frames: [Int] = []
        var rest = bytes
        while let frame = try Wire.FrameParser().next(from: &rest) { frames.append(frame.body.readableBytes) }
        // (Two 2-byte string lengths against one 4-byte id.)
        #expect(frames[1] + Self.method.utf8.count + "/service/probe".utf8.count == frames[0])
        #expect(frames[3] == frames[1])
    }

    @Test func aFullInternerSendsNamesInline() throws {
        var interner = Wire.TargetInterner(capacity: 1)
        let calls = [Self.call(1), Self.call(2, recipient: "/b"), Self.call(3, recipient: "/b"), Self.call(4)]
        let (_, decoded) = try Self.roundTrip(calls, interner: &interner)
        #expect(decoded.map(\.targetID) == [0, nil, nil, 0])
        #expect(decoded.map(\.recipient) == ["/service/probe", "/b", "/b", "/service/probe"])
    }

    @Test func anIdNeverDefinedOrPastTheCapIsAProtocolError() throws {
        var body = ByteBuffer()
        Self.call(1).encode(into: &body, reference: .use(0))
        var table = Wire.TargetTable()
        #expect(throws: WireError.self) { _ = try Wire.Call.decode(from: &body, targets: &table) }

        var small = Wire.TargetTable(capacity: 1)
        var first = ByteBuffer()
        Self.call(1).encode(into: &first, reference: .define)
        _ = try Wire.Call.decode(from: &first, targets: &small)
        var second = ByteBuffer()
        Self.call(2, recipient: "/b").encode(into: &second, reference: .define)
        #expect(throws: WireError.self) { _ = try Wire.Call.decode(from: &second, targets: &small) }

        var unknownMode = ByteBuffer()
        unknownMode.writeInteger(UInt64(1))
        unknownMode.writeInteger(UInt8(9))
        #expect(throws: WireError.self) { _ = try Wire.Call.decode(from: &unknownMode, targets: &table) }
    }
}
