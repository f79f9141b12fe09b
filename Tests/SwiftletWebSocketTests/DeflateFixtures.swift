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
import Testing

/// Compressed messages produced elsewhere, with the bytes they must inflate to.
///
/// The Python fixtures come from CPython's zlib 1.2.13:
/// `c = zlib.compressobj(level, zlib.DEFLATED, -15); out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)`
/// with the trailing `00 00 ff ff` removed (RFC 7692 §7.2.1). The RFC fixtures are RFC 7692 §7.2.3's
/// examples.
enum DeflateFixtures {
    struct Fixture: CustomTestStringConvertible, Sendable {
        var name: String
        var compressed: [UInt8]
        var plain: [UInt8]
        var testDescription: String { self.name }
    }

    static let all: [Fixture] = [
        // RFC 7692 §7.2.3.1: "Hello" in a compressed block (Python produces the same bytes).
        Fixture(
            name: "RFC 7692 §7.2.3.1 / Python: Hello", compressed: [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00],
            plain: Array("Hello".utf8)),
        // RFC 7692 §7.2.3.3: a DEFLATE block with no compression (a stored block), then the header
        // byte of the empty stored block whose LEN and NLEN (00 00 ff ff) were removed (§7.2.1).
        Fixture(
            name: "RFC 7692 §7.2.3.3: stored block",
            compressed: [0x00, 0x05, 0x00, 0xFA, 0xFF, 0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x00],
            plain: Array("Hello".utf8)
        ),
        // RFC 7692 §7.2.3.4: a block with BFINAL set, then a padding byte.
        Fixture(
            name: "RFC 7692 §7.2.3.4: BFINAL",
            compressed: [0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00, 0x00],
            plain: Array("Hello".utf8)
        ),
        // RFC 7692 §7.2.3.5: two DEFLATE blocks in one message.
        Fixture(
            name: "RFC 7692 §7.2.3.5: two blocks",
            compressed: [0xF2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xCA, 0xC9, 0xC9, 0x07, 0x00],
            plain: Array("Hello".utf8)
        ),
        // RFC 7692 §7.2.3.6 / Python: the empty message.
        Fixture(name: "Python: empty", compressed: [0x00], plain: []),
        // Python: an MQTT 3.1.1 QoS 0 PUBLISH to chat/room1.
        Fixture(
            name: "Python: MQTT PUBLISH",
            compressed: [
                0x32, 0x10, 0x66, 0xE0, 0x4A, 0xCE, 0x48, 0x2C, 0xD1, 0x2F, 0xCA, 0xCF, 0xCF, 0x35, 0xCC, 0x48,
                0xCD, 0xC9, 0xC9, 0x57, 0x40, 0x22, 0x15, 0x01, 0x00,
            ],
            plain: [0x30, 0x13, 0x00, 0x0A] + Array("chat/room1hello hello hello!".utf8)
        ),
        // Python, level 9: 40 repetitions of "temperature=21.5;" (680 bytes in 27).
        Fixture(
            name: "Python: repetitive",
            compressed: [
                0x2A, 0x49, 0xCD, 0x2D, 0x48, 0x2D, 0x4A, 0x2C, 0x29, 0x2D, 0x4A, 0xB5, 0x35, 0x32, 0xD4, 0x33,
                0xB5, 0x2E, 0x19, 0x15, 0x18, 0x15, 0x18, 0x7C, 0x02, 0x00, 0x00,
            ],
            plain: Array(String(repeating: "temperature=21.5;", count: 40).utf8)
        ),
        // Python: Z_FINISH instead of a sync flush (a final block); a message may end that way.
        Fixture(
            name: "Python: Z_FINISH",
            compressed: [0x4B, 0xCB, 0xCC, 0x4B, 0xCC, 0x51, 0x48, 0xCA, 0xC9, 0x4F, 0xCE, 0x06, 0x00],
            plain: Array("final block".utf8)
        ),
    ]

    /// RFC 7692 §7.2.3.2: "Hello" twice from a compressor that keeps its context; the second message
    /// refers back into the first.
    static let contextTakeoverMessages: [[UInt8]] = [
        [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00],
        [0xF2, 0x00, 0x11, 0x00, 0x00],
    ]
}
