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

/// Writes the frames a server sends (RFC 6455 §5.2).
///
/// Server frames are never masked (RFC 6455 §5.1: "A server MUST NOT mask any frames that it
/// sends to the client"), so a header is 2, 4 or 10 bytes and the payload follows as it is. For
/// fan-out the header can be written into a small buffer of its own in front of a shared payload
/// (DESIGN §4.4): see ``writeHeader(fin:rsv1:opcode:payloadLength:into:)`` and
/// ``headerSize(payloadLength:)``.
package enum WebSocketFrameEncoder {
    /// The largest payload of a control frame (RFC 6455 §5.5).
    package static let maxControlPayloadLength = 125

    /// The largest close reason, in UTF-8 bytes: a control payload less the 2-byte status code.
    package static let maxCloseReasonLength = 123

    /// The size of the header of an unmasked frame, in bytes.
    ///
    /// - Parameter payloadLength: The payload length; not negative.
    /// - Returns: 2 for up to 125 bytes, 4 for up to 65535, otherwise 10.
    @inlinable
    package static func headerSize(payloadLength: Int) -> Int {
        switch payloadLength {
        case ...125: 2
        case ...0xFFFF: 4
        default: 10
        }
    }

    /// Writes an unmasked frame header with the minimal length encoding (RFC 6455 §5.2).
    ///
    /// - Parameters:
    ///   - fin: Whether this is the final fragment of its message.
    ///   - rsv1: The RSV1 bit: set on the first frame of a compressed message (RFC 7692 §6).
    ///   - opcode: The opcode.
    ///   - payloadLength: The length of the payload that will follow; not negative.
    ///   - buffer: The buffer to append ``headerSize(payloadLength:)`` bytes to.
    package static func writeHeader(
        fin: Bool,
        rsv1: Bool,
        opcode: WebSocketOpcode,
        payloadLength: Int,
        into buffer: inout ByteBuffer
    ) {
        precondition(payloadLength >= 0, "negative WebSocket payload length")
        var first = opcode.rawValue
        if fin { first |= 0x80 }
        if rsv1 { first |= 0x40 }
        // RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length"; the
        // mask bit of the second byte stays clear (§5.1).
        switch payloadLength {
        case ...125:
            buffer.writeMultipleIntegers(first, UInt8(payloadLength))
        case ...0xFFFF:
            buffer.writeMultipleIntegers(first, UInt8(126), UInt16(payloadLength))
        default:
            buffer.writeMultipleIntegers(first, UInt8(127), UInt64(payloadLength))
        }
    }

    /// Writes a whole frame: its header, then its payload's readable bytes.
    ///
    /// - Parameters:
    ///   - frame: The frame. A control frame's payload must be at most 125 bytes.
    ///   - buffer: The buffer to append to.
    package static func encode(_ frame: WebSocketFrame, into buffer: inout ByteBuffer) {
        assert(
            !frame.opcode.isControl || frame.payload.readableBytes <= Self.maxControlPayloadLength,
            "control frame payload over 125 bytes"
        )
        let length = frame.payload.readableBytes
        buffer.reserveCapacity(minimumWritableBytes: Self.headerSize(payloadLength: length) + length)
        Self.writeHeader(fin: frame.fin, rsv1: frame.rsv1, opcode: frame.opcode, payloadLength: length, into: &buffer)
        var payload = frame.payload
        buffer.writeBuffer(&payload)
    }

    /// Writes a close frame (RFC 6455 §5.5.1).
    ///
    /// - Parameters:
    ///   - code: The status code, or `nil` for an empty payload (then `reason` is ignored, since
    ///     a reason needs a code before it). Should be valid on the wire.
    ///   - reason: A reason for humans; cut to at most 123 UTF-8 bytes on a character boundary,
    ///     so the payload stays within 125 bytes and stays valid UTF-8.
    ///   - buffer: The buffer to append to.
    package static func encodeClose(code: WebSocketCloseCode?, reason: String = "", into buffer: inout ByteBuffer) {
        guard let code else {
            Self.writeHeader(fin: true, rsv1: false, opcode: .close, payloadLength: 0, into: &buffer)
            return
        }
        let reasonBytes = Self.truncatedUTF8(reason, maxLength: Self.maxCloseReasonLength)
        Self.writeHeader(fin: true, rsv1: false, opcode: .close, payloadLength: 2 + reasonBytes.count, into: &buffer)
        buffer.writeInteger(code.rawValue)
        buffer.writeBytes(reasonBytes)
    }

    /// Writes a whole masked frame, as a client must send it (RFC 6455 §5.1: "a client MUST mask
    /// all frames that it sends to the server").
    ///
    /// The header carries the mask bit and the key (§5.2); the payload is XORed with the key on
    /// its way into `buffer` (§5.3), in one pass.
    ///
    /// - Parameters:
    ///   - frame: The frame, payload unmasked. A control frame's payload must be at most 125 bytes.
    ///   - maskingKey: The key; RFC 6455 §5.3 wants a fresh, unpredictable key per frame.
    ///   - buffer: The buffer to append to.
    package static func encodeMasked(
        _ frame: WebSocketFrame,
        maskingKey: WebSocketMaskingKey,
        into buffer: inout ByteBuffer
    ) {
        assert(
            !frame.opcode.isControl || frame.payload.readableBytes <= Self.maxControlPayloadLength,
            "control frame payload over 125 bytes"
        )
        let length = frame.payload.readableBytes
        buffer.reserveCapacity(minimumWritableBytes: Self.headerSize(payloadLength: length) + 4 + length)
        let start = buffer.writerIndex
        Self.writeHeader(fin: frame.fin, rsv1: frame.rsv1, opcode: frame.opcode, payloadLength: length, into: &buffer)
        // RFC 6455 §5.2: the MASK bit is the top bit of the second header byte.
        buffer.setInteger(buffer.getInteger(at: start + 1, as: UInt8.self)! | 0x80, at: start + 1)
        let key = maskingKey.bytes
        buffer.writeMultipleIntegers(key.0, key.1, key.2, key.3)
        maskingKey.apply(to: frame.payload, appendingTo: &buffer)
    }

    /// Writes a pong answering a ping (RFC 6455 §5.5.3: "A Pong frame sent in response to a
    /// Ping frame must have identical 'Application data' as found in the message body of the
    /// Ping frame being replied to").
    ///
    /// - Parameters:
    ///   - payload: The ping's payload; at most 125 bytes, which the parser guarantees.
    ///   - buffer: The buffer to append to.
    package static func encodePong(payload: ByteBuffer, into buffer: inout ByteBuffer) {
        Self.encode(WebSocketFrame(opcode: .pong, payload: payload), into: &buffer)
    }

    /// Returns the UTF-8 bytes of `string`, cut to at most `maxLength` bytes at the end of a
    /// Unicode scalar.
    private static func truncatedUTF8(_ string: String, maxLength: Int) -> [UInt8] {
        let utf8 = Array(string.utf8)
        guard utf8.count > maxLength else { return utf8 }
        // A Swift string is valid UTF-8: back up from the limit over continuation bytes
        // (0b10xxxxxx) to the first byte of the scalar that straddles it.
        var end = maxLength
        while end > 0 && utf8[end] & 0xC0 == 0x80 {
            end -= 1
        }
        return Array(utf8[..<end])
    }
}
