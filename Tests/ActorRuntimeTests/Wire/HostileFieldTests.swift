import Foundation
import NIOCore
import Testing

@testable import ActorRuntime

/// Inputs that used to trap while a node encoded or decoded them: each is now an error, or a bounded text.
@Suite struct HostileFieldTests {
    @Test func anErrorReplyQuotingAHugeRecipientEncodesBoundedAndDecodes() throws {
        let recipient = String(repeating: "é", count: 32_760)  // 65,520 UTF-8 bytes
        let reply = Wire.Reply(
            callID: 7,
            outcome: .error(
                RemoteError(code: "unknown_actor", message: "no actor at \(recipient)", errorType: "RuntimeError")))
        var buffer = ByteBuffer()
        reply.encode(into: &buffer)
        let decoded = try Wire.Reply.decode(from: &buffer)
        guard case .error(let error) = decoded.outcome else {
            Issue.record("not an error: \(decoded.outcome)")
            return
        }
        #expect(error.code == "unknown_actor")
        #expect(error.message.hasPrefix("no actor at éé"))
        #expect(error.message.utf8.count <= 4096)
    }

    @Test func aWireStringOverItsLimitIsCutAtACharacterBoundaryNotTrapped() throws {
        var buffer = ByteBuffer()
        buffer.writeWireString(String(repeating: "é", count: 40_000))  // 80,000 bytes
        let text = try buffer.readWireString("text")
        #expect(text.utf8.count == 65_534)
        #expect(text.allSatisfy { $0 == "é" })
    }

    @Test func aKeyLengthOfTwoToTheSixtyThirdIsAnErrorNotATrap() {
        struct Keyed: Codable { var a: Int }
        // A keyed container whose one key claims 2^63 bytes (a varint of nine 0x80 bytes and 0x01), then null.
        var buffer = ByteBuffer()
        buffer.writeInteger(BinaryFormat.Tag.keyed.rawValue)
        buffer.writeInteger(UInt32(11))
        buffer.writeBytes([UInt8](repeating: 0x80, count: 9) + [0x01])
        buffer.writeInteger(BinaryFormat.Tag.null.rawValue)
        #expect(throws: (any Error).self) { try BinaryDecoder().decode(Keyed.self, from: buffer) }
    }

    @Test func aCallNamingAHugeRecipientIsAProtocolError() throws {
        var buffer = ByteBuffer()
        Wire.Call(callID: 1, recipient: String(repeating: "r", count: 65_520), target: "t", arguments: []).encode(
            into: &buffer)
        #expect(throws: WireError.self) { try Wire.Call.decode(from: &buffer) }
        var fine = ByteBuffer()
        Wire.Call(callID: 2, recipient: "/service/product", target: "t", arguments: []).encode(into: &fine)
        #expect(try Wire.Call.decode(from: &fine).recipient == "/service/product")
    }
}
