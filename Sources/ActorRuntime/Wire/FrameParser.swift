import NIOCore

extension Wire {
    /// Cuts frames out of a byte stream, enforcing the size caps before buffering and after inflating.
    ///
    /// Pure and synchronous: the channel handler, the fuzz tests and the fuzzer drive the same code.
    public struct FrameParser {
        public let limits: Limits
        private let inflater = ZlibInflater()
        /// Whether the peer has completed the handshake; until then frames are capped at
        /// `maxHandshakeFrameLength` and may not be compressed.
        public var trusted: Bool
        /// Checks (and decrypts) frames once the handshake set up session keys.
        public var opener: FrameCipher?

        public init(limits: Limits = Limits(), trusted: Bool = true) {
            self.limits = limits
            self.trusted = trusted
        }

        /// Reads the next complete frame from `buffer`.
        ///
        /// - Returns: the frame, or `nil` when `buffer` holds only part of one (nothing is consumed then).
        /// - Throws: `WireError` for anything malformed; the stream cannot be resynchronised after that.
        public func next(from buffer: inout ByteBuffer) throws -> Frame? {
            guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
            guard length >= 2 else {
                throw WireError(.frameTooShort, "frame length \(length) is shorter than its 2-byte header")
            }
            guard Int(length) <= self.limits.maxFrameLength else {
                throw WireError(.frameTooLarge, "frame length \(length) exceeds \(self.limits.maxFrameLength)")
            }
            guard self.trusted || Int(length) <= self.limits.maxHandshakeFrameLength else {
                throw WireError(
                    .beforeHandshake,
                    "frame length \(length) exceeds \(self.limits.maxHandshakeFrameLength) before the handshake")
            }
            guard buffer.readableBytes >= 4 + Int(length) else { return nil }

            buffer.moveReaderIndex(forwardBy: 4)
            let flags = Flags(rawValue: buffer.readInteger(as: UInt8.self)!)
            let kind = Kind(rawValue: buffer.readInteger(as: UInt8.self)!)
            var body = buffer.readSlice(length: Int(length) - 2)!

            guard Flags.known.isSuperset(of: flags) else {
                throw WireError(.unknownFlags, "unknown frame flags 0x\(String(flags.rawValue, radix: 16))")
            }
            guard kind.isKnown else {
                throw WireError(.unknownKind, "unknown frame kind \(kind.rawValue)")
            }
            if let opener = self.opener {
                body = try opener.open(flags: flags.rawValue, kind: kind.rawValue, body: body)
            }
            if flags.contains(.deflated) {
                guard self.trusted else { throw WireError(.beforeHandshake, "compressed frame before the handshake") }
                body = try self.inflater.inflate(
                    body,
                    limit: self.limits.maxInflatedLength,
                    allocator: ByteBufferAllocator()
                )
            }
            return Frame(kind: kind, body: body)
        }
    }

    /// Writes frames, deflating large bodies when that makes them smaller.
    public struct FrameSerializer {
        public let limits: Limits
        private let deflater = ZlibDeflater()
        /// Nothing is compressed until the peer has completed the handshake.
        public var trusted: Bool
        /// Seals frames once the handshake set up session keys.
        public var sealer: FrameCipher?

        public init(limits: Limits = Limits(), trusted: Bool = true) {
            self.limits = limits
            self.trusted = trusted
        }

        /// Appends `frame` to `out`.
        ///
        /// - Returns: whether the body was sent deflated.
        @discardableResult
        public func write(_ frame: Frame, into out: inout ByteBuffer) -> Bool {
            self.write(kind: frame.kind, maxBodyBytes: frame.body.readableBytes, into: &out) { body in
                var bytes = frame.body
                body.writeBuffer(&bytes)
            }
        }

        /// Appends `outbound` to `out`; a call's target is interned through `interner`.
        @discardableResult
        public func write(_ outbound: Outbound, interner: inout TargetInterner, into out: inout ByteBuffer) -> Bool {
            switch outbound {
            case .frame(let frame):
                return self.write(frame, into: &out)
            case .call(let call):
                let reference = interner.reference(for: call.callTarget)
                return self.write(kind: .call, maxBodyBytes: call.maxBodyBytes, into: &out) {
                    call.encode(into: &$0, reference: reference)
                }
            case .reply(let reply):
                return self.write(kind: .reply, maxBodyBytes: reply.maxBodyBytes, into: &out) {
                    reply.encode(into: &$0)
                }
            }
        }

        /// Writes the header and the body: straight into `out` when it is too small to compress, else through
        /// a scratch buffer that is deflated when that makes it smaller.
        private func write(
            kind: Kind,
            maxBodyBytes: Int,
            into out: inout ByteBuffer,
            body writeBody: (inout ByteBuffer) -> Void
        ) -> Bool {
            let start = out.writerIndex
            out.writeInteger(UInt32(0))  // patched below once the body size is known
            let flagsIndex = out.writerIndex
            out.writeInteger(UInt8(0))
            out.writeInteger(kind.rawValue)
            var deflated = false
            if self.trusted, maxBodyBytes >= self.limits.compressionThreshold {
                var body = ByteBufferAllocator().buffer(capacity: maxBodyBytes)
                writeBody(&body)
                if body.readableBytes >= self.limits.compressionThreshold {
                    deflated = self.deflater.deflate(body, into: &out)
                }
                if deflated {
                    out.setInteger(Flags.deflated.rawValue, at: flagsIndex)
                } else {
                    out.writeBuffer(&body)
                }
            } else {
                writeBody(&out)
            }
            out.setInteger(UInt32(out.writerIndex - start - 4), at: start)
            self.sealer?.seal(frameAt: start, in: &out)
            return deflated
        }
    }
}
