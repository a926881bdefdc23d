import NIOCore

extension Wire {
    /// One thing queued for a peer. Calls and replies stay unencoded until the connection's frame encoder writes
    /// them straight into the socket's buffer: one copy of the arguments instead of two, and interning decided
    /// in write order.
    public enum Outbound: Sendable {
        case frame(Frame)
        case call(Call)
        case reply(Reply)

        /// Body bytes, at most: what the outbound queue's cap counts.
        var maxBodyBytes: Int {
            switch self {
            case .frame(let frame): frame.body.readableBytes
            case .call(let call): call.maxBodyBytes
            case .reply(let reply): reply.maxBodyBytes
            }
        }
    }
}
