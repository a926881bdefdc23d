import Distributed
import NIOCore
import Testing

@testable import ActorRuntime

@Suite struct FrameProtectionOverTCPTests {
    @Test(arguments: [Wire.FrameProtection.authenticated, .encrypted])
    func aProtectedClusterServesCallsAndAFrameWithoutTheSessionKeyClosesOnlyItsConnection(
        mode: Wire.FrameProtection
    ) async throws {
        try await withCluster(["a", "b"], configure: { $0.frames = mode }) { cluster in
            let (a, b) = (cluster["a"], cluster["b"])
            #expect(b.settings.frameProtection == mode)
            let probe = b.makeActor(path: "/service/probe") { Probe(actorSystem: b) }
            defer { withExtendedLifetime(probe) {} }
            let remote = try Probe.resolve(id: probe.id, using: a)
            // Large enough to be deflated before it is sealed.
            let text = String(repeating: "x", count: 5000)
            #expect(try await remote.size(of: text) == 5000)

            // A client with the session keys is served ...
            let peer = try await RawPeer.connect(to: b)
            try await peer.send(RawPeer.call(1, .define))
            #expect(try await peer.reply()?.callID == 1)
            // ... and a frame injected without them (as an on-path attacker would) closes that connection.
            try await peer.send(RawPeer.call(2, .use(0)), sealed: false)
            #expect(try await peer.reply() == nil)
            #expect(try await remote.size(of: "abc") == 3)
            #expect(await probe.whenLocal { $0.calls } == 2)
        }
    }
}
