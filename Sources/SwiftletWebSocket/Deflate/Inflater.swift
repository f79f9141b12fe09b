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

/// Inflates one compressed WebSocket message at a time (RFC 7692 §7.2.2).
///
/// Take one from the event loop's ``InflaterPool`` when the first frame of a compressed message
/// (RSV1 set) arrives, feed it every frame's payload, and give it back at the end of the message, or
/// when the connection closes mid-message. Because the server always negotiates
/// `client_no_context_takeover`, no state survives between messages: a connection that is not in
/// the middle of a compressed message holds no zlib state (STYLE.md §3.4 item 5).
///
/// The window is 15 bits, which decodes a stream compressed with any smaller window, so the
/// negotiated `client_max_window_bits` needs no separate inflaters.
///
/// Output goes through the pool's fixed-size scratch area and is counted before it is appended:
/// the appended total never exceeds the limit, and a deflate bomb costs at most one scratch chunk of
/// work past it (DESIGN.md §9, STYLE.md §3.4 item 6).
///
/// > Warning: Not thread-safe. An inflater is confined to the event loop of the pool it came from.
package final class Inflater {
    /// The `z_stream` lives at a fixed heap address: zlib's internal state points back to it.
    private let stream: UnsafeMutablePointer<z_stream>
    private let scratch: InflateScratch

    /// Bytes inflated so far for the current message.
    package private(set) var decompressedByteCount = 0

    /// Whether the current message's DEFLATE data ended with a final block (BFINAL=1). Any input
    /// after it is ignored.
    private var reachedStreamEnd = false

    /// RFC 7692 §7.2.2: the tail the sender removed (§7.2.1), appended after the final frame.
    private static let messageTail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    init(scratch: InflateScratch) throws(DeflateError) {
        self.scratch = scratch
        self.stream = .allocate(capacity: 1)
        self.stream.initialize(to: z_stream())
        // Negative window bits: raw DEFLATE (RFC 7692 §7.2.2); 15 accepts every client window
        // (RFC 7692 §7.1.2.2).
        let code = swiftlet_inflateInit2(self.stream, -15)
        guard code == Z_OK else {
            self.stream.deinitialize(count: 1)
            self.stream.deallocate()
            throw .zlibFailure(code: code)
        }
    }

    deinit {
        inflateEnd(self.stream)
        self.stream.deinitialize(count: 1)
        self.stream.deallocate()
    }

    /// Inflates one frame's payload of the current message and appends the result to `output`.
    ///
    /// - Parameters:
    ///   - chunk: The frame's (unmasked) payload; its readable bytes are used, its indices left alone.
    ///   - isFinalFrameOfMessage: Whether this is the frame with FIN set. Then `00 00 ff ff` is
    ///     appended to the input (RFC 7692 §7.2.2) and the message must end on a block boundary.
    ///   - limit: The most bytes the whole message may inflate to. The check runs on every scratch
    ///     chunk, so at most `limit` bytes are ever appended for one message.
    ///   - output: Receives the inflated bytes.
    /// - Throws: ``DeflateError/messageTooBig`` once the message's inflated size would pass `limit`;
    ///   ``DeflateError/invalidData`` when the data is not valid DEFLATE. Either way the inflater must
    ///   be given back to its pool (which resets it) or dropped; the message is lost.
    package func inflate(
        _ chunk: ByteBuffer,
        isFinalFrameOfMessage: Bool,
        limit: Int,
        into output: inout ByteBuffer
    ) throws(DeflateError) {
        // The closures return the error rather than throw it: the buffer accessors only rethrow.
        if let error = chunk.withUnsafeReadableBytes({ self.feed($0, limit: limit, into: &output) }) {
            throw error
        }
        guard isFinalFrameOfMessage else { return }
        if let error = Self.messageTail.withUnsafeBytes({ self.feed($0, limit: limit, into: &output) }) {
            throw error
        }
        // The message ended: with the tail appended, valid data stops exactly at a block boundary
        // (RFC 7692 §7.2.1 makes every message end with an empty stored block) or after a final
        // block. zlib sets bit 128 of data_type when it stopped at a block boundary. Anything else is
        // a message cut inside a block.
        guard self.reachedStreamEnd || self.stream.pointee.data_type & 128 != 0 else {
            throw .invalidData
        }
    }

    /// Prepares for the next message: `inflateReset` keeps the allocated window.
    func reset() {
        inflateReset(self.stream)
        self.decompressedByteCount = 0
        self.reachedStreamEnd = false
    }

    /// Inflates `input` completely, or until an error.
    ///
    /// - Returns: `nil` when all of `input` was used (or ignored after a final block), else the error.
    private func feed(_ input: UnsafeRawBufferPointer, limit: Int, into output: inout ByteBuffer) -> DeflateError? {
        guard !self.reachedStreamEnd, input.count > 0 else { return nil }
        defer {
            // Never leave pointers into buffers we do not own in the stream.
            self.stream.pointee.next_in = nil
            self.stream.pointee.avail_in = 0
            self.stream.pointee.next_out = nil
            self.stream.pointee.avail_out = 0
        }
        // A ByteBuffer holds at most UInt32.max bytes, so its length fits zlib's 32-bit counter.
        self.stream.pointee.next_in = UnsafeMutablePointer(
            mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        )
        self.stream.pointee.avail_in = uInt(input.count)
        let scratch = self.scratch.bytes

        while true {
            self.stream.pointee.next_out = scratch.baseAddress!.assumingMemoryBound(to: Bytef.self)
            self.stream.pointee.avail_out = uInt(scratch.count)
            let code = CZlib.inflate(self.stream, Z_NO_FLUSH)
            let produced = scratch.count - Int(self.stream.pointee.avail_out)
            if produced > 0 {
                // DESIGN.md §9, STYLE.md §3.4 item 6: count before keeping anything, so a deflate bomb
                // is stopped within one scratch chunk and never buffered.
                guard produced <= limit - self.decompressedByteCount else { return .messageTooBig }
                self.decompressedByteCount += produced
                output.writeBytes(UnsafeRawBufferPointer(rebasing: scratch[..<produced]))
            }
            switch code {
            case Z_OK:
                // A full scratch chunk may mean more output is pending; otherwise all input is used.
                if self.stream.pointee.avail_out != 0 && self.stream.pointee.avail_in == 0 {
                    return nil
                }
            case Z_STREAM_END:
                // A final block (BFINAL=1) ends the DEFLATE stream; what follows, such as the
                // appended tail, is ignored.
                self.reachedStreamEnd = true
                return nil
            case Z_BUF_ERROR:
                // No progress possible: the input is used up and no output was pending.
                return nil
            case Z_DATA_ERROR, Z_NEED_DICT:
                // Not raw DEFLATE: the connection is failed with 1007 (see DeflateError).
                return .invalidData
            default:
                return .zlibFailure(code: code)
            }
        }
    }
}

@available(*, unavailable)
extension Inflater: Sendable {}
