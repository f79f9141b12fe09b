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
import NIOCore

/// Builds uncompressed DEFLATE blocks ("stored" blocks, RFC 1951 §3.2.4).
///
/// A stored block lets per-subscriber bytes (packet identifier, subscription identifiers, topic
/// alias) go in front of a compressed body shared by every subscriber, in the same compressed
/// message, without compressing anything per subscriber (STYLE.md §3.4 item 3):
///
/// ```
/// message payload = DeflateStoredBlock.prefix(header) + sharedCompressedBody
/// ```
///
/// This is valid for every client, including one whose inflater keeps its context across messages
/// (STYLE.md Appendix A2): the shared body was compressed from a fresh state (the server announced
/// `server_no_context_takeover`), so it never refers back into the stored bytes or earlier messages;
/// and a stored block starts on a byte boundary, where every message starts (RFC 7692 §7.2.1 ends
/// each message on one).
package enum DeflateStoredBlock {
    /// The most bytes one stored block can hold: its `LEN` field is 16 bits (RFC 1951 §3.2.4).
    package static let maximumBlockLength = 0xFFFF

    /// The size of a stored block's header: the block-type byte, `LEN` and `NLEN`.
    package static let headerLength = 5

    /// Returns `bytes` as non-final stored DEFLATE blocks, to put in front of a compressed body.
    ///
    /// Each block is `0x00` (BFINAL=0, BTYPE=00, padding bits), `LEN` and `NLEN` (its one's
    /// complement) little-endian, then `LEN` bytes. More than ``maximumBlockLength`` bytes take
    /// several blocks; no bytes give one empty block.
    ///
    /// - Parameters:
    ///   - bytes: The readable bytes to carry uncompressed.
    ///   - allocator: Allocates the result.
    /// - Returns: A buffer of `bytes.readableBytes + 5` bytes per started 65535.
    package static func prefix(
        _ bytes: ByteBuffer,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> ByteBuffer {
        var remaining = bytes
        let blockCount = max(1, (remaining.readableBytes + Self.maximumBlockLength - 1) / Self.maximumBlockLength)
        var output = allocator.buffer(capacity: remaining.readableBytes + blockCount * Self.headerLength)
        repeat {
            let length = min(remaining.readableBytes, Self.maximumBlockLength)
            // RFC 1951 §3.2.3: BFINAL=0, BTYPE=00; the five remaining bits pad to the byte boundary.
            output.writeInteger(UInt8(0))
            // RFC 1951 §3.2.4: LEN, then NLEN = ~LEN, both little-endian.
            output.writeInteger(UInt16(length), endianness: .little)
            output.writeInteger(~UInt16(length), endianness: .little)
            output.writeBytes(remaining.readableBytesView.prefix(length))
            remaining.moveReaderIndex(forwardBy: length)
        } while remaining.readableBytes > 0
        return output
    }
}
