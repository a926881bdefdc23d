import CZlib
import NIOCore

/// A reusable zlib deflate stream. Not thread-safe: one per connection, used on its event loop.
final class ZlibDeflater {
    private var stream = z_stream()
    private let level: Int32
    /// zlib's state (about 256 KiB for deflate) is allocated on first use, not per socket up front.
    private var started = false

    init(level: Int32 = 1) {
        // Level 1 (Z_BEST_SPEED): the wire values latency over the last few percent of ratio.
        self.level = level
    }

    deinit { if self.started { deflateEnd(&self.stream) } }

    private func start() {
        guard !self.started else { return }
        let rc = czlib_deflateInit(&self.stream, self.level)
        precondition(rc == Z_OK, "zlib deflateInit failed: \(rc)")
        self.started = true
    }

    /// Appends the deflated form of `input` to `output` when that is smaller than `input`.
    ///
    /// - Returns: `true` if `output` now holds the deflated bytes, `false` (with `output` unchanged) otherwise.
    func deflate(_ input: ByteBuffer, into output: inout ByteBuffer) -> Bool {
        self.start()
        deflateReset(&self.stream)
        let bound = Int(deflateBound(&self.stream, UInt(input.readableBytes)))
        let start = output.writerIndex
        var ok = false
        input.withUnsafeReadableBytes { inBytes in
            self.stream.next_in = UnsafeMutablePointer(
                mutating: inBytes.bindMemory(to: Bytef.self).baseAddress
            )
            self.stream.avail_in = uInt(inBytes.count)
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { outBytes in
                self.stream.next_out = outBytes.bindMemory(to: Bytef.self).baseAddress
                self.stream.avail_out = uInt(outBytes.count)
                let rc = CZlib.deflate(&self.stream, Z_FINISH)
                let written = outBytes.count - Int(self.stream.avail_out)
                ok = rc == Z_STREAM_END && written < inBytes.count
                return ok ? written : 0
            }
        }
        self.stream.next_in = nil
        self.stream.next_out = nil
        if !ok { output.moveWriterIndex(to: start) }
        return ok
    }
}

/// A reusable zlib inflate stream that refuses to produce more than a fixed number of bytes.
final class ZlibInflater {
    private var stream = z_stream()
    /// Allocated on first use (a stranger who never gets past the handshake never costs one).
    private var started = false

    init() {}

    deinit { if self.started { inflateEnd(&self.stream) } }

    private func start() {
        guard !self.started else { return }
        let rc = czlib_inflateInit(&self.stream)
        precondition(rc == Z_OK, "zlib inflateInit failed: \(rc)")
        self.started = true
    }

    /// Inflates a complete zlib stream.
    ///
    /// - Throws: `WireError` with `.inflatedTooLarge` once the output would pass `limit` (a compression bomb
    ///   stops there, without allocating the rest), or `.inflateFailed` for corrupt or truncated input.
    func inflate(_ input: ByteBuffer, limit: Int, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        self.start()
        inflateReset(&self.stream)
        defer {
            self.stream.next_in = nil
            self.stream.next_out = nil
        }
        // Start near a typical ratio; grow in steps, never past limit + 1 (one byte over proves the overflow).
        var output = allocator.buffer(capacity: min(max(input.readableBytes * 4, 256), limit + 1))
        var failure: WireError?
        input.withUnsafeReadableBytes { inBytes in
            self.stream.next_in = UnsafeMutablePointer(
                mutating: inBytes.bindMemory(to: Bytef.self).baseAddress
            )
            self.stream.avail_in = uInt(inBytes.count)
            while true {
                let room = min(max(output.readableBytes, 16 << 10), limit + 1 - output.readableBytes)
                if room <= 0 {
                    failure = WireError(.inflatedTooLarge, "inflated body exceeds \(limit) bytes")
                    return
                }
                var rc: Int32 = Z_OK
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { outBytes in
                    let usable = min(outBytes.count, room)
                    self.stream.next_out = outBytes.bindMemory(to: Bytef.self).baseAddress
                    self.stream.avail_out = uInt(usable)
                    rc = CZlib.inflate(&self.stream, Z_NO_FLUSH)
                    return usable - Int(self.stream.avail_out)
                }
                if output.readableBytes > limit {
                    failure = WireError(.inflatedTooLarge, "inflated body exceeds \(limit) bytes")
                    return
                }
                switch rc {
                case Z_STREAM_END:
                    if self.stream.avail_in != 0 {
                        failure = WireError(.inflateFailed, "trailing bytes after the deflated stream")
                    }
                    return
                case Z_OK:
                    continue
                case Z_BUF_ERROR where self.stream.avail_in == 0:
                    failure = WireError(.inflateFailed, "deflated stream is truncated")
                    return
                case Z_BUF_ERROR:
                    continue
                default:
                    failure = WireError(.inflateFailed, "corrupt deflated stream (zlib code \(rc))")
                    return
                }
            }
        }
        if let failure { throw failure }
        return output
    }
}
