import NIOCore
import NIOEmbedded
import Testing

@testable import ActorRuntime

/// A peer that stops reading gets a bounded queue: frames wait for writability instead of piling up in NIO,
/// and past the cap new calls fail at once.
@Suite struct OutboundBackpressureTests {
    static let peer = Handshake.PeerIdentity(node: "b", role: .member, incarnation: 1, startedAtMillis: 0)

    static func frame(_ bytes: Int) -> Wire.Outbound {
        .frame(Wire.Frame(kind: .reply, body: ByteBuffer(repeating: 1, count: bytes)))
    }

    @Test func framesWaitForWritabilityAndTheQueueIsCapped() throws {
        let channel = EmbeddedChannel()
        let connection = PeerConnection(channel: channel, peer: Self.peer, maxOutboundBytes: 1000)
        channel.isWritable = false
        #expect(connection.send(Self.frame(600)))
        channel.embeddedEventLoop.run()
        // Not writable: nothing was written; the frame waits in the connection's queue.
        #expect(try channel.readOutbound(as: [Wire.Outbound].self) == nil)
        #expect(!connection.send(Self.frame(600)))  // over the cap
        channel.isWritable = true
        connection.drainIfWritable()
        let written = try #require(try channel.readOutbound(as: [Wire.Outbound].self))
        #expect(written.count == 1 && written[0].maxBodyBytes == 600)
        // With the queue empty again, frames are taken.
        #expect(connection.send(Self.frame(600)))
    }

    @Test func aCallToAPeerWithAFullQueueFailsAtOnce() async throws {
        let channel = EmbeddedChannel()
        let connection = PeerConnection(channel: channel, peer: Self.peer, maxOutboundBytes: 100)
        channel.isWritable = false
        #expect(connection.send(Self.frame(100)))
        let call = Wire.Call(callID: 9, recipient: "/x", target: "t", arguments: [ByteBuffer(repeating: 2, count: 50)])
        do {
            _ = try await connection.call(call, timeout: .seconds(30), target: "b/x")
            Issue.record("the call was queued")
        } catch let error as RuntimeError {
            #expect(error.code == .peerUnreachable, "\(error)")
        }
    }
}
