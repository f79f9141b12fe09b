//===----------------------------------------------------------------------===//
//
// This source file is part of the Swiftlet open source project
//
// Copyright (c) 2026 the Swiftlet authors
// Licensed under Apache License v2.0
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
import CZlib
import NIOCore

/// Compresses whole WebSocket messages for `permessage-deflate` (RFC 7692 §7.2.1), one event loop's
/// worth.
///
/// Because the server always negotiates `server_no_context_takeover`
/// (``PerMessageDeflateNegotiation``), every message is compressed from a fresh state: one
/// compressor per event loop serves every connection on it, and a message compressed once is
/// written as-is, with RSV1 set, to every subscriber that negotiated the extension with
/// `serverMaxWindowBits >= windowBits` (STYLE.md §3.4 items 1 and 2). There is no per-connection
/// deflate state. Connections that negotiated a smaller `server_max_window_bits` (browsers do not
/// offer it) need a compressor of that window: keep one per window size in use, created lazily.
///
/// The zlib stream is allocated once and reset after each message (`deflateReset` keeps the
/// allocated window and hash tables): about `(1 << (windowBits + 2)) + (1 << (memoryLevel + 9))`
/// bytes, 256 KiB at the defaults, per loop and window size.
///
/// > Warning: Not thread-safe. A compressor is confined to one event loop; only that loop may call it.
package final class DeflateCompressor {
    /// The `z_stream` lives at a fixed heap address: zlib's internal state points back to it.
    private let stream: UnsafeMutablePointer<z_stream>

    /// The LZ77 window this compressor uses, as a base-2 logarithm (`9`...`15`).
    package let windowBits: Int

    /// Creates a raw-deflate compressor.
    ///
    /// - Parameters:
    ///   - level: The zlib level, clamped to `0`...`9`. Default 6.
    ///   - windowBits: The window, clamped to `9`...`15`; use the connection's negotiated
    ///     ``PerMessageDeflateNegotiation/Parameters/serverMaxWindowBits``. Default 15. (zlib cannot
    ///     deflate with an 8-bit raw window, which is why negotiation declines it.)
    ///   - memoryLevel: zlib's `memLevel`, clamped to `1`...`9`. Default 8.
    /// - Throws: ``DeflateError/zlibFailure(code:)`` when zlib cannot allocate its state.
    package init(level: Int = 6, windowBits: Int = 15, memoryLevel: Int = 8) throws(DeflateError) {
        self.windowBits = min(max(windowBits, 9), 15)
        self.stream = .allocate(capacity: 1)
        self.stream.initialize(to: z_stream())
        // Negative window bits: raw DEFLATE, no zlib header or trailer (RFC 7692 §7.2.1).
        let code = swiftlet_deflateInit2(
            self.stream,
            Int32(min(max(level, 0), 9)),
            -Int32(self.windowBits),
            Int32(min(max(memoryLevel, 1), 9))
        )
        guard code == Z_OK else {
            self.stream.deinitialize(count: 1)
            self.stream.deallocate()
            throw .zlibFailure(code: code)
        }
    }

    deinit {
        deflateEnd(self.stream)
        self.stream.deinitialize(count: 1)
        self.stream.deallocate()
    }

    /// Compresses one whole message.
    ///
    /// The result is the message's payload for a frame (or frames) with RSV1 set: raw DEFLATE
    /// ending in a sync flush, with the trailing `00 00 ff ff` removed (RFC 7692 §7.2.1). It is
    /// self-contained, so it can be sent to every subscriber, after a per-subscriber
    /// ``DeflateStoredBlock/prefix(_:allocator:)`` if needed.
    ///
    /// - Parameters:
    ///   - message: The message; its readable bytes are compressed, its indices left alone.
    ///   - allocator: Allocates the result.
    ///   - headroom: Bytes to leave free in front of the result (its reader index starts there), so
    ///     that a frame header can be written in front without a copy. Default 0.
    /// - Returns: The compressed payload. An empty message compresses to one byte, `00`
    ///   (RFC 7692 §7.2.3.6).
    package func compress(
        _ message: ByteBuffer,
        allocator: ByteBufferAllocator,
        headroom: Int = 0
    ) -> ByteBuffer {
        // deflateBound covers Z_FINISH; a sync flush adds an empty stored block (5 bytes) and up to
        // one byte of pending bits. A too-small estimate costs a reallocation, never correctness.
        let bound = Int(deflateBound(self.stream, uLong(message.readableBytes))) + 8
        var output = allocator.buffer(capacity: headroom + bound)
        output.moveWriterIndex(forwardBy: headroom)
        output.moveReaderIndex(forwardBy: headroom)

        message.withUnsafeReadableBytes { input in
            // A ByteBuffer holds at most UInt32.max bytes, so the lengths fit zlib's 32-bit counters.
            self.stream.pointee.next_in = UnsafeMutablePointer(
                mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self)
            )
            self.stream.pointee.avail_in = uInt(input.count)
            var code = Z_OK
            repeat {
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: 64) { buffer in
                    self.stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    self.stream.pointee.avail_out = uInt(buffer.count)
                    // RFC 7692 §7.2.1: flush with an empty stored block, so that the message ends on a
                    // byte boundary with 00 00 ff ff.
                    code = deflate(self.stream, Z_SYNC_FLUSH)
                    return buffer.count - Int(self.stream.pointee.avail_out)
                }
                // Z_BUF_ERROR only means "no progress possible"; Z_STREAM_ERROR would be a bug here,
                // whatever the input.
                precondition(code == Z_OK || code == Z_BUF_ERROR, "deflate failed: \(code)")
                // A full output buffer may mean more output is pending; when the sync flush returns
                // with room to spare, all input is compressed and flushed.
            } while self.stream.pointee.avail_out == 0
            self.stream.pointee.next_in = nil
            self.stream.pointee.avail_in = 0
            self.stream.pointee.next_out = nil
            self.stream.pointee.avail_out = 0
        }
        // RFC 7692 §7.2.1 (server_no_context_takeover): every message starts from a fresh state.
        deflateReset(self.stream)

        // RFC 7692 §7.2.1: remove the 4 octets 00 00 ff ff at the tail end.
        if output.readableBytes >= 4,
            output.getInteger(at: output.writerIndex - 4, as: UInt32.self) == 0x0000_FFFF
        {
            output.moveWriterIndex(to: output.writerIndex - 4)
        }
        return output
    }
}

@available(*, unavailable)
extension DeflateCompressor: Sendable {}
