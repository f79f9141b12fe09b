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
import SwiftletWebSocket
import Testing

@Suite("UTF-8 validator")
struct UTF8ValidatorTests {
    static let validSamples: [[UInt8]] = [
        [],
        Array("plain ASCII, long enough for the eight-byte fast path".utf8),
        [0x7F],  // largest one-byte
        [0xC2, 0x80],  // U+0080, smallest two-byte
        [0xDF, 0xBF],  // U+07FF
        [0xE0, 0xA0, 0x80],  // U+0800, smallest three-byte
        [0xED, 0x9F, 0xBF],  // U+D7FF, just below the surrogates
        [0xEE, 0x80, 0x80],  // U+E000, just above them
        [0xEF, 0xBF, 0xBF],  // U+FFFF
        [0xF0, 0x90, 0x80, 0x80],  // U+10000, smallest four-byte
        [0xF4, 0x8F, 0xBF, 0xBF],  // U+10FFFF, the last code point
        Array("κόσμε, Hello-µ@ßöäüàá-UTF-8!! 😀".utf8),
    ]

    static let invalidSamples: [[UInt8]] = [
        [0x80],  // stray continuation byte
        [0xBF],
        [0xC0, 0x80],  // overlong NUL
        [0xC1, 0xBF],  // overlong two-byte
        [0xE0, 0x80, 0x80],  // overlong three-byte
        [0xE0, 0x9F, 0xBF],
        [0xED, 0xA0, 0x80],  // U+D800, a surrogate
        [0xED, 0xBF, 0xBF],  // U+DFFF
        [0xF0, 0x80, 0x80, 0x80],  // overlong four-byte
        [0xF0, 0x8F, 0xBF, 0xBF],
        [0xF4, 0x90, 0x80, 0x80],  // U+110000
        [0xF5, 0x80, 0x80, 0x80],
        [0xFE],
        [0xFF],
        [0xC2, 0x41],  // lead byte then ASCII
        [0xE2, 0x82],  // truncated
        [0xF0, 0x9F, 0x98],  // truncated four-byte
        Array("abcdefghij".utf8) + [0xC0],  // bad byte after the fast path
    ]

    @Test("well-formed sequences are valid, in one piece and split anywhere", arguments: validSamples)
    func valid(_ bytes: [UInt8]) {
        #expect(WebSocketUTF8Validator.isValid(ByteBuffer(bytes: bytes)))
        for split in 0...bytes.count {
            var validator = WebSocketUTF8Validator()
            let head = validator.validate(ByteBuffer(bytes: bytes[..<split]))
            let tail = validator.validate(ByteBuffer(bytes: bytes[split...]))
            #expect(head && tail && validator.isComplete, "split at \(split)")
        }
    }

    @Test("ill-formed sequences are invalid, in one piece and split anywhere", arguments: invalidSamples)
    func invalid(_ bytes: [UInt8]) {
        #expect(!WebSocketUTF8Validator.isValid(ByteBuffer(bytes: bytes)))
        for split in 0...bytes.count {
            var validator = WebSocketUTF8Validator()
            let ok =
                validator.validate(ByteBuffer(bytes: bytes[..<split]))
                && validator.validate(ByteBuffer(bytes: bytes[split...]))
            #expect(!(ok && validator.isComplete), "split at \(split)")
        }
    }

    @Test("agrees with the standard library on random byte strings")
    func agreesWithStandardLibrary() {
        var generator = SplitMix64(seed: 0xC0FFEE)
        for _ in 0..<5000 {
            let count = Int.random(in: 0...12, using: &generator)
            // Bias towards bytes that make multi-byte sequences.
            let bytes = (0..<count).map { _ in
                Bool.random(using: &generator)
                    ? UInt8.random(in: 0x80...0xF5, using: &generator) : UInt8.random(in: 0...255, using: &generator)
            }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(WebSocketUTF8Validator.isValid(ByteBuffer(bytes: bytes)) == expected, "\(bytes.hex)")
        }
    }
}
