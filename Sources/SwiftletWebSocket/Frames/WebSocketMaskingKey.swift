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

/// The 32-bit masking key of a client frame (RFC 6455 §5.3).
package struct WebSocketMaskingKey: Hashable, Sendable {
    /// The key's four bytes in wire order: payload byte `i` is XORed with `bytes[i % 4]`.
    package var bytes: (UInt8, UInt8, UInt8, UInt8) {
        (self.b0, self.b1, self.b2, self.b3)
    }

    private var b0: UInt8
    private var b1: UInt8
    private var b2: UInt8
    private var b3: UInt8

    /// Creates a key from its four bytes in wire order.
    package init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) {
        self.b0 = b0
        self.b1 = b1
        self.b2 = b2
        self.b3 = b3
    }

    /// Returns the readable bytes of `payload` XORed with the key, in a newly allocated buffer
    /// (RFC 6455 §5.3: `transformed-octet-i = original-octet-i XOR masking-key-octet-(i MOD 4)`).
    ///
    /// Masking and unmasking are the same operation. The source is usually a slice of the
    /// connection's read buffer, which other slices still share, so unmasking in place would
    /// copy the bytes first anyway; writing into a fresh buffer is one pass and one allocation.
    /// The bulk of the payload goes eight bytes at a time.
    ///
    /// - Parameter payload: The bytes to transform, starting at key offset 0. Not modified.
    /// - Returns: A buffer with exactly the transformed bytes readable.
    package func applied(to payload: ByteBuffer) -> ByteBuffer {
        var output = ByteBufferAllocator().buffer(capacity: payload.readableBytes)
        self.apply(to: payload, appendingTo: &output)
        return output
    }

    /// A fresh random key, as a client needs one per frame (RFC 6455 §5.3: "The masking key
    /// is a 32-bit value chosen at random by the client").
    package static func random() -> WebSocketMaskingKey {
        let value = UInt32.random(in: .min ... .max)
        return WebSocketMaskingKey(UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
            UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24))
    }

    /// Appends the readable bytes of `payload` XORed with the key to `output`, starting at key
    /// offset 0 (RFC 6455 §5.3).
    ///
    /// - Parameters:
    ///   - payload: The bytes to transform. Not modified.
    ///   - output: The buffer to append exactly `payload.readableBytes` bytes to.
    package func apply(to payload: ByteBuffer, appendingTo output: inout ByteBuffer) {
        let count = payload.readableBytes
        guard count > 0 else { return }
        let key = [self.b0, self.b1, self.b2, self.b3]
        // The key repeated twice; loads and stores below use the same byte order, so the
        // platform's endianness does not matter.
        let wideKey = UInt64(self.b0) | UInt64(self.b1) << 8 | UInt64(self.b2) << 16 | UInt64(self.b3) << 24
        let wide = (wideKey | wideKey << 32).littleEndian
        _ = payload.withUnsafeReadableBytes { input in
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { out in
                var index = 0
                while index + 8 <= count {
                    let word = input.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ wide
                    out.storeBytes(of: word, toByteOffset: index, as: UInt64.self)
                    index += 8
                }
                // `index` is a multiple of 8 here, so the key offset is `index & 3` again.
                while index < count {
                    out[index] = input[index] ^ key[index & 3]
                    index += 1
                }
                return count
            }
        }
    }
}
