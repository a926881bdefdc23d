import Crypto
import NIOCore

/// The handshake of a cluster connection as a pure state machine.
///
/// Dialer → `hello` (its nonce); acceptor checks magic, version, cluster and node name and answers
/// `challenge` (its nonce, no proof); the dialer answers `proof`, an HMAC-SHA256 of the secret over both
/// nonces; the acceptor checks it and answers `welcome` with its own proof, which the dialer checks before
/// serving the connection. Either side answers a failed check with `reject` and closes.
///
/// The secret never travels, each proof is bound to its role (so one cannot be reflected as the other), and
/// the acceptor, which anyone can reach, proves nothing until the dialer has: a stranger who connects gets
/// no HMAC to guess the secret from offline. A dialer only reaches addresses it was configured with.
public struct Handshake {
    public static let nonceSize = 32
    public static let proofSize = 32

    /// What this side is and knows.
    public struct Configuration: Sendable {
        public var cluster: String
        public var node: String
        public var role: Wire.Role
        public var secret: SymmetricKey
        public var incarnation: UInt64
        public var startedAtMillis: Int64
        /// Node names allowed to join as members.
        public var members: Set<String>
        /// Whether clients (tools such as `node status`) may connect.
        public var acceptClients: Bool
        /// How frames are protected after the handshake; a peer configured otherwise is refused.
        public var frames: Wire.FrameProtection = .plain

        public init(
            cluster: String,
            node: String,
            role: Wire.Role,
            secret: SymmetricKey,
            incarnation: UInt64,
            startedAtMillis: Int64,
            members: Set<String>,
            acceptClients: Bool = true,
            frames: Wire.FrameProtection = .plain
        ) {
            self.cluster = cluster
            self.node = node
            self.role = role
            self.secret = secret
            self.incarnation = incarnation
            self.startedAtMillis = startedAtMillis
            self.members = members
            self.acceptClients = acceptClients
            self.frames = frames
        }
    }

    /// Who is on the other end, once proven.
    public struct PeerIdentity: Sendable, Equatable {
        public var node: String
        public var role: Wire.Role
        public var incarnation: UInt64
        public var startedAtMillis: Int64
    }

    public enum Action: Equatable {
        /// Send this frame and keep waiting.
        case send(Wire.Frame)
        /// The peer is proven: send the frame (if any) unprotected, then protect every later frame with the
        /// session keys (nil in `.plain` mode), and start serving the connection.
        case establish(send: Wire.Frame?, PeerIdentity, keys: Wire.SessionKeys?)
        /// Refuse the peer: send the reject frame, log the reason and close.
        case reject(Wire.Reject)
        /// The peer refused us: log the reason and close.
        case rejected(Wire.Reject)
    }

    private enum State {
        case dialerSentHello(target: String, nonce: [UInt8])
        case dialerSentProof(PeerIdentity, acceptorTranscript: [UInt8], keys: Wire.SessionKeys?)
        case acceptorWaitingHello(nonce: [UInt8])
        case acceptorSentChallenge(Wire.Hello, nonce: [UInt8])
        case established
        case closed
    }

    private let configuration: Configuration
    private var state: State

    private init(configuration: Configuration, state: State) {
        self.configuration = configuration
        self.state = state
    }

    /// Starts the dialing side.
    ///
    /// - Returns: the machine and the hello frame to send first.
    public static func dialer(
        _ configuration: Configuration,
        target: String,
        nonce: [UInt8] = Handshake.randomNonce()
    ) -> (Handshake, Wire.Frame) {
        let hello = Wire.Hello(
            role: configuration.role,
            frames: configuration.frames,
            cluster: configuration.cluster,
            node: configuration.node,
            target: target,
            incarnation: configuration.incarnation,
            startedAtMillis: configuration.startedAtMillis,
            nonce: nonce
        )
        let machine = Handshake(configuration: configuration, state: .dialerSentHello(target: target, nonce: nonce))
        return (machine, .hello(hello))
    }

    /// Starts the accepting side, which waits for a hello.
    public static func acceptor(_ configuration: Configuration, nonce: [UInt8] = Handshake.randomNonce()) -> Handshake {
        Handshake(configuration: configuration, state: .acceptorWaitingHello(nonce: nonce))
    }

    public static func randomNonce() -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<Self.nonceSize).map { _ in rng.next() }
    }

    /// Feeds the next frame received before the handshake completed.
    public mutating func received(_ frame: Wire.Frame) -> Action {
        var body = frame.body
        do {
            if frame.kind == .reject {
                self.state = .closed
                return .rejected(try Wire.Reject.decode(from: &body))
            }
            switch (self.state, frame.kind) {
            case (.acceptorWaitingHello(let nonce), .hello):
                return self.acceptHello(try Wire.Hello.decode(from: &body), nonce: nonce)
            case (.dialerSentHello(let target, let nonce), .challenge):
                return self.checkChallenge(try Wire.Challenge.decode(from: &body), target: target, nonce: nonce)
            case (.acceptorSentChallenge(let hello, let nonce), .proof):
                return self.checkProof(try Wire.Proof.decode(from: &body), hello: hello, nonce: nonce)
            case (.dialerSentProof(let peer, let transcript, let keys), .welcome):
                let welcome = try Wire.Proof.decode(from: &body)
                guard Self.isValid(welcome.proof, for: transcript, secret: self.configuration.secret) else {
                    return self.refuse(.badSecret, "node '\(peer.node)' failed to prove the cluster secret")
                }
                self.state = .established
                return .establish(send: nil, peer, keys: keys)
            default:
                return self.refuse(.protocolViolation, "unexpected \(frame.kind) frame during the handshake")
            }
        } catch {
            return self.refuse(.protocolViolation, "malformed \(frame.kind) frame: \(error)")
        }
    }

    private mutating func refuse(_ code: Wire.Reject.Code, _ reason: String) -> Action {
        self.state = .closed
        return .reject(Wire.Reject(code, reason))
    }

    private mutating func acceptHello(_ hello: Wire.Hello, nonce: [UInt8]) -> Action {
        let me = self.configuration
        guard hello.magic == Wire.magic else {
            return self.refuse(.badMagic, "not a cluster connection (bad magic)")
        }
        guard hello.version == Wire.protocolVersion else {
            return self.refuse(
                .wrongVersion,
                "protocol version \(hello.version) is not supported; node \(me.node) speaks \(Wire.protocolVersion)"
            )
        }
        guard hello.cluster == me.cluster else {
            return self.refuse(.wrongCluster, "cluster '\(hello.cluster)' does not match '\(me.cluster)'")
        }
        switch hello.role {
        case .member:
            guard hello.node != me.node, me.members.contains(hello.node) else {
                return self.refuse(.unknownNode, "node '\(hello.node)' is not a member of cluster '\(me.cluster)'")
            }
            guard hello.target == me.node else {
                return self.refuse(.wrongTarget, "this is node '\(me.node)', not '\(hello.target)'")
            }
        case .client:
            guard me.acceptClients else { return self.refuse(.clientsRefused, "node \(me.node) accepts no clients") }
        }
        guard hello.frames == me.frames else {
            return self.refuse(
                .framesMismatch,
                "peer protects frames as '\(hello.frames)'; node \(me.node) requires '\(me.frames)' ([security] frames)"
            )
        }
        let challenge = Wire.Challenge(
            cluster: me.cluster,
            node: me.node,
            incarnation: me.incarnation,
            startedAtMillis: me.startedAtMillis,
            nonce: nonce
        )
        self.state = .acceptorSentChallenge(hello, nonce: nonce)
        return .send(.challenge(challenge))
    }

    private mutating func checkChallenge(_ challenge: Wire.Challenge, target: String, nonce: [UInt8]) -> Action {
        let me = self.configuration
        guard challenge.version == Wire.protocolVersion else {
            return self.refuse(.wrongVersion, "peer speaks protocol version \(challenge.version)")
        }
        guard challenge.cluster == me.cluster else {
            return self.refuse(.wrongCluster, "cluster '\(challenge.cluster)' does not match '\(me.cluster)'")
        }
        if me.role == .member {
            guard challenge.node == target else {
                return self.refuse(.wrongTarget, "expected node '\(target)', reached '\(challenge.node)'")
            }
        }
        func transcript(_ label: String) -> [UInt8] {
            Self.transcript(
                label: label, cluster: me.cluster, dialer: me.node, dialerRole: me.role, frames: me.frames,
                acceptor: challenge.node, dialerNonce: nonce, acceptorNonce: challenge.nonce)
        }
        let keys =
            me.frames == .plain
            ? nil
            : Wire.SessionKeys.derive(
                secret: me.secret, cluster: me.cluster, dialer: me.node, acceptor: challenge.node, dialerNonce: nonce,
                acceptorNonce: challenge.nonce, isDialer: true)
        let peer = PeerIdentity(
            node: challenge.node,
            role: .member,
            incarnation: challenge.incarnation,
            startedAtMillis: challenge.startedAtMillis
        )
        self.state = .dialerSentProof(peer, acceptorTranscript: transcript("accept"), keys: keys)
        return .send(.proof(Wire.Proof(proof: Self.mac(transcript("dial"), secret: me.secret))))
    }

    private mutating func checkProof(_ proof: Wire.Proof, hello: Wire.Hello, nonce: [UInt8]) -> Action {
        let me = self.configuration
        func transcript(_ label: String) -> [UInt8] {
            Self.transcript(
                label: label, cluster: me.cluster, dialer: hello.node, dialerRole: hello.role, frames: hello.frames,
                acceptor: me.node, dialerNonce: hello.nonce, acceptorNonce: nonce)
        }
        guard Self.isValid(proof.proof, for: transcript("dial"), secret: me.secret) else {
            return self.refuse(.badSecret, "node '\(hello.node)' failed to prove the cluster secret")
        }
        // Only now, to a peer that proved the secret, this side's own proof.
        let mine = Self.mac(transcript("accept"), secret: me.secret)
        self.state = .established
        let peer = PeerIdentity(
            node: hello.node,
            role: hello.role,
            incarnation: hello.incarnation,
            startedAtMillis: hello.startedAtMillis
        )
        let keys =
            me.frames == .plain
            ? nil
            : Wire.SessionKeys.derive(
                secret: me.secret, cluster: me.cluster, dialer: hello.node, acceptor: me.node, dialerNonce: hello.nonce,
                acceptorNonce: nonce, isDialer: false)
        return .establish(send: .welcome(Wire.Proof(proof: mine)), peer, keys: keys)
    }

    /// Everything the two sides agreed on, including the role the dialer claims, so that no one on the path can
    /// change it; a proof is its HMAC-SHA256 under the secret. (Whoever holds the cluster secret can still claim
    /// either role: the secret is the boundary.)
    static func transcript(
        label: String,
        cluster: String,
        dialer: String,
        dialerRole: Wire.Role,
        frames: Wire.FrameProtection,
        acceptor: String,
        dialerNonce: [UInt8],
        acceptorNonce: [UInt8]
    ) -> [UInt8] {
        var transcript = ByteBuffer()
        transcript.writeWireString(label)
        transcript.writeWireString(cluster)
        transcript.writeWireString(dialer)
        transcript.writeInteger(dialerRole.rawValue)
        transcript.writeInteger(frames.rawValue)
        transcript.writeWireString(acceptor)
        transcript.writeBytes(dialerNonce)
        transcript.writeBytes(acceptorNonce)
        return Array(transcript.readableBytesView)
    }

    static func mac(_ transcript: [UInt8], secret: SymmetricKey) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: transcript, using: secret))
    }

    /// Compares in constant time (swift-crypto's check), so a guess learns nothing from how long it took.
    static func isValid(_ proof: [UInt8], for transcript: [UInt8], secret: SymmetricKey) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(proof, authenticating: transcript, using: secret)
    }
}
