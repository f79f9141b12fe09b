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

/// An incremental UTF-8 validator for text messages and close reasons (RFC 6455 §5.6, §8.1).
///
/// It accepts exactly the well-formed byte sequences of Unicode Table 3-7 (RFC 3629 §4): no
/// overlong forms, no surrogates (U+D800-U+DFFF), nothing above U+10FFFF. Bytes may arrive in any
/// split, so a code point cut between two frames validates correctly, and an invalid sequence is
/// reported on the byte that makes it invalid, which lets the connection fail fast instead of
/// waiting for the end of the message (RFC 6455 §8.1).
package struct WebSocketUTF8Validator: Hashable, Sendable {
    /// Continuation bytes still needed by the code point in progress.
    private var pending: UInt8 = 0
    /// The allowed range of the next continuation byte; only the first one of a sequence is
    /// ever narrower than 0x80...0xBF.
    private var lowerBound: UInt8 = 0x80
    private var upperBound: UInt8 = 0xBF

    /// Creates a validator at the start of a text.
    package init() {}

    /// Whether the bytes validated so far end on a code point boundary. A text that ends while
    /// this is `false` is truncated and so invalid.
    package var isComplete: Bool {
        self.pending == 0
    }

    /// Validates the readable bytes of `buffer`, continuing from the bytes seen before.
    ///
    /// - Parameter buffer: The next bytes of the text. Its reader index does not move.
    /// - Returns: `false` as soon as a byte cannot continue a well-formed text; the validator's
    ///   state is then meaningless.
    package mutating func validate(_ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { self.validate($0) }
    }

    /// Validates `bytes`, continuing from the bytes seen before.
    ///
    /// - Parameter bytes: The next bytes of the text.
    /// - Returns: `false` as soon as a byte cannot continue a well-formed text.
    package mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = bytes.count
        while index < count {
            // ASCII fast path: eight bytes at a time while no code point is in progress.
            if self.pending == 0 {
                while index + 8 <= count,
                    bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
                {
                    index += 8
                }
                if index == count { break }
            }
            guard self.step(bytes[index]) else { return false }
            index += 1
        }
        return true
    }

    /// Validates a complete text: the bytes must be valid and must not end inside a code point.
    ///
    /// - Parameter buffer: The whole text.
    /// - Returns: Whether the text is well-formed UTF-8.
    package static func isValid(_ buffer: ByteBuffer) -> Bool {
        var validator = WebSocketUTF8Validator()
        return validator.validate(buffer) && validator.isComplete
    }

    /// Advances over one byte; Unicode 15 Table 3-7 row by row.
    private mutating func step(_ byte: UInt8) -> Bool {
        if self.pending > 0 {
            guard byte >= self.lowerBound && byte <= self.upperBound else { return false }
            self.pending -= 1
            self.lowerBound = 0x80
            self.upperBound = 0xBF
            return true
        }
        switch byte {
        case 0x00...0x7F:
            return true
        case 0xC2...0xDF:
            self.pending = 1
        case 0xE0:
            // Overlong three-byte forms would start E0 80-9F.
            self.pending = 2
            self.lowerBound = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF:
            self.pending = 2
        case 0xED:
            // ED A0-BF would encode the surrogates U+D800-U+DFFF.
            self.pending = 2
            self.upperBound = 0x9F
        case 0xF0:
            // Overlong four-byte forms would start F0 80-8F.
            self.pending = 3
            self.lowerBound = 0x90
        case 0xF1...0xF3:
            self.pending = 3
        case 0xF4:
            // F4 90-BF would be above U+10FFFF.
            self.pending = 3
            self.upperBound = 0x8F
        default:
            // 0x80-0xC1 (stray continuation, overlong two-byte lead) and 0xF5-0xFF never start
            // a code point.
            return false
        }
        return true
    }
}
