import Crypto
import NIOCore
import Testing

@testable import ActorRuntime

@Suite struct HandshakeTests {
    static func config(
        _ node: String,
        secret: String = "s3cret",
        cluster: String = "shop",
        role: Wire.Role = .member,
        members: Set<String> = ["a", "b"],
        frames: Wire.FrameProtection = .plain
    ) -> Handshake.Configuration {
        Handshake.Configuration(
            cluster: cluster,
            node: node,
            role: role,
            secret: SymmetricKey(data: Array(secret.utf8)),
            incarnation: node == "a" ? 11 : 22,
            startedAtMillis: 1000,
            members: members,
            frames: frames
        )
    }

    /// Runs both machines against each other and returns the final action on each side.
    static func run(
        dialer: Handshake.Configuration,
        acceptor: Handshake.Configuration,
        target: String = "b"
    ) -> (dialer: Handshake.Action?, acceptor: Handshake.Action?) {
        var (d, hello) = Handshake.dialer(dialer, target: target)
        var a = Handshake.acceptor(acceptor)
        var toAcceptor: Wire.Frame? = hello
        var toDialer: Wire.Frame?
        var last: (Handshake.Action?, Handshake.Action?) = (nil, nil)
        for _ in 0..<6 {
            if let frame = toAcceptor {
                toAcceptor = nil
                let action = a.received(frame)
                last.1 = action
                switch action {
                case .send(let f): toDialer = f
                case .establish(let f, _, _): toDialer = f
                case .reject(let r): toDialer = .reject(r)
                case .rejected: return last
                }
            }
            if let frame = toDialer {
                toDialer = nil
                let action = d.received(frame)
                last.0 = action
                switch action {
                case .send(let f): toAcceptor = f
                case .establish: return last
                case .reject(let r): toAcceptor = .reject(r)
                case .rejected: return last
                }
            }
        }
        return last
    }

    @Test func establishesBothWaysWithTheRightSecret() {
        let (d, a) = Self.run(dialer: Self.config("a"), acceptor: Self.config("b"))
        guard case .establish(nil, let peerOfDialer, _) = d, case .establish(.some, let peerOfAcceptor, _) = a else {
            Issue.record("expected both sides established, got \(String(describing: d)) / \(String(describing: a))")
            return
        }
        #expect(peerOfDialer.node == "b" && peerOfDialer.incarnation == 22)
        #expect(peerOfAcceptor.node == "a" && peerOfAcceptor.incarnation == 11 && peerOfAcceptor.role == .member)
    }

    @Test func wrongSecretIsRefusedByTheDialerAndTheAcceptor() {
        // The dialer proves first, so an acceptor refuses a dialer with another secret ...
        let (_, a) = Self.run(dialer: Self.config("a", secret: "other"), acceptor: Self.config("b"))
        #expect(a == .reject(Wire.Reject(.badSecret, "node 'a' failed to prove the cluster secret")))
        // ... and a dialer never serves an acceptor whose welcome carries a wrong proof.
        var (dialer, hello) = Handshake.dialer(Self.config("a"), target: "b")
        var acceptor = Handshake.acceptor(Self.config("b"))
        guard case .send(let challenge) = acceptor.received(hello), case .send = dialer.received(challenge) else {
            Issue.record("expected a challenge and a proof")
            return
        }
        let forged = Wire.Frame.welcome(Wire.Proof(proof: [UInt8](repeating: 0, count: 32)))
        #expect(
            dialer.received(forged) == .reject(Wire.Reject(.badSecret, "node 'b' failed to prove the cluster secret")))
    }

    @Test func aRoleChangedOnThePathBreaksTheProof() throws {
        var (dialer, hello) = Handshake.dialer(Self.config("a"), target: "b")
        var body = hello.body
        var forged = try Wire.Hello.decode(from: &body)
        forged.role = .client  // someone on the path downgrades (or upgrades) the claimed role
        var acceptor = Handshake.acceptor(Self.config("b"))
        guard case .send(let challenge) = acceptor.received(.hello(forged)),
            case .send(let proof) = dialer.received(challenge)
        else {
            Issue.record("expected a challenge and a proof")
            return
        }
        guard case .reject(let reject) = acceptor.received(proof) else {
            Issue.record("a proof made for another role was accepted")
            return
        }
        #expect(reject.code == .badSecret)
    }

    @Test func anAcceptorProvesNothingToAPeerThatHasNotProvenItself() throws {
        // A stranger connects and says hello: the challenge holds no proof, only who and a nonce.
        let (_, hello) = Handshake.dialer(Self.config("a", secret: "guess"), target: "b")
        var acceptor = Handshake.acceptor(Self.config("b"))
        guard case .send(let frame) = acceptor.received(hello), frame.kind == .challenge else {
            Issue.record("expected a challenge")
            return
        }
        var body = frame.body
        let challenge = try Wire.Challenge.decode(from: &body)
        // version, "shop", "b", ids, nonce
        #expect(frame.body.readableBytes == 2 + (2 + 4) + (2 + 1) + 8 + 8 + Handshake.nonceSize)
        #expect(challenge.node == "b")
        // A wrong proof gets a reject and nothing else.
        let forged = Wire.Frame.proof(Wire.Proof(proof: [UInt8](repeating: 7, count: 32)))
        guard case .reject(let reject) = acceptor.received(forged) else {
            Issue.record("a wrong proof was not refused")
            return
        }
        #expect(reject.code == .badSecret)
    }

    @Test func wrongClusterUnknownNodeAndWrongTargetAreRefused() {
        let (_, wrongCluster) = Self.run(dialer: Self.config("a", cluster: "other"), acceptor: Self.config("b"))
        guard case .reject(let r1) = wrongCluster else { Issue.record("not rejected"); return }
        #expect(r1.code == .wrongCluster)

        let (_, unknown) = Self.run(dialer: Self.config("mallory"), acceptor: Self.config("b"))
        guard case .reject(let r2) = unknown else { Issue.record("not rejected"); return }
        #expect(r2.code == .unknownNode)

        let (_, target) = Self.run(dialer: Self.config("a"), acceptor: Self.config("b"), target: "c")
        guard case .reject(let r3) = target else { Issue.record("not rejected"); return }
        #expect(r3.code == .wrongTarget)
    }

    @Test func wrongVersionIsRefusedWithBothVersions() {
        var hello = Wire.Hello(
            role: .member, cluster: "shop", node: "a", target: "b", incarnation: 1, startedAtMillis: 0,
            nonce: Handshake.randomNonce()
        )
        hello.version = 99
        var acceptor = Handshake.acceptor(Self.config("b"))
        let action = acceptor.received(.hello(hello))
        guard case .reject(let reject) = action else { Issue.record("not rejected: \(action)"); return }
        #expect(reject.code == .wrongVersion)
        #expect(reject.reason.contains("99") && reject.reason.contains("\(Wire.protocolVersion)"))
    }

    @Test func callBeforeHandshakeIsAProtocolViolation() {
        var acceptor = Handshake.acceptor(Self.config("b"))
        let call = Wire.Frame.call(Wire.Call(callID: 1, recipient: "/x", target: "t", arguments: []))
        guard case .reject(let reject) = acceptor.received(call) else { Issue.record("not rejected"); return }
        #expect(reject.code == .protocolViolation)
    }

    @Test func clientsNeedTheSecretButNoMembership() {
        let (d, a) = Self.run(dialer: Self.config("status-tool", role: .client), acceptor: Self.config("b"), target: "")
        guard case .establish(_, let peer, _) = a, case .establish = d else {
            Issue.record("client not established: \(String(describing: d)) / \(String(describing: a))")
            return
        }
        #expect(peer.role == .client)
        // A client with a wrong secret is refused by the node (the client proves first).
        let (_, bad) = Self.run(
            dialer: Self.config("status-tool", secret: "nope", role: .client),
            acceptor: Self.config("b"),
            target: ""
        )
        guard case .reject(let reject) = bad else { Issue.record("not rejected"); return }
        #expect(reject.code == .badSecret)
    }
}
