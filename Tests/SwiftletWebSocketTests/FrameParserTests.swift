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

@Suite("Frame parser")
struct FrameParserTests {
    @Test("parsing the annotated bytes gives the frame", arguments: FrameFixture.valid)
    func parseValid(_ fixture: FrameFixture) throws {
        var parser = fixture.makeParser()
        var buffer = ByteBuffer(bytes: fixture.bytes)
        let frame = try parser.next(&buffer)
        #expect(frame == fixture.expectedFrame)
        #expect(buffer.readableBytes == 0)
        // Nothing more.
        #expect(try parser.next(&buffer) == nil)
    }

    @Test("a violation fails with its close code on the deciding byte", arguments: FrameFixture.invalid)
    func parseInvalid(_ fixture: FrameFixture) throws {
        var parser = fixture.makeParser()
        // Everything up to the deciding byte is fine, and asks for more.
        var buffer = ByteBuffer(bytes: fixture.bytes.dropLast())
        #expect(try parser.next(&buffer) == nil)

        buffer.writeBytes(fixture.bytes.suffix(1))
        let error = #expect(throws: WebSocketProtocolError.self) {
            _ = try parser.next(&buffer)
        }
        #expect(error?.closeCode == fixture.expectedCloseCode, "\(String(describing: error))")

        // The parser stays failed, whatever comes next.
        buffer.writeBytes([0x82, 0x80, 0, 0, 0, 0])
        let again = #expect(throws: WebSocketProtocolError.self) {
            _ = try parser.next(&buffer)
        }
        #expect(again == error)
    }

    @Test("one byte short of a frame gives nil and consumes only whole header parts", arguments: FrameFixture.valid)
    func everySplit(_ fixture: FrameFixture) throws {
        let bytes = fixture.bytes
        // Large payloads: check the header splits and a few payload splits, not all 65536.
        let splits = Set(Array(0..<min(bytes.count, 160)) + [bytes.count - 1])
        for split in splits.sorted() {
            var parser = fixture.makeParser()
            var buffer = ByteBuffer(bytes: bytes[..<split])
            #expect(try parser.next(&buffer) == nil, "frame from \(split) of \(bytes.count) bytes")
            buffer.writeBytes(bytes[split...])
            #expect(try parser.next(&buffer) == fixture.expectedFrame, "split at \(split)")
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test("a payload waiting for its last byte stays in the buffer")
    func payloadNotConsumedEarly() throws {
        var parser = WebSocketFrameParser()
        var buffer = ByteBuffer(bytes: FrameFixture.valid[0].bytes.dropLast())
        #expect(try parser.next(&buffer) == nil)
        // First byte, length byte and key were consumed; the 4 payload bytes were not.
        #expect(buffer.readableBytes == 4)
    }

    @Test("the size limit fails on the header, before any payload byte arrives")
    func sizeLimitBeforeBuffering() throws {
        var parser = WebSocketFrameParser(maxFrameSize: 1000)
        // A 1 GiB frame: only its header is ever fed.
        var buffer = ByteBuffer(bytes: [0x82, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00])
        let error = #expect(throws: WebSocketProtocolError.self) {
            _ = try parser.next(&buffer)
        }
        #expect(error?.closeCode == .messageTooBig)
    }

    @Test("a frame of exactly the size limit is accepted")
    func sizeLimitInclusive() throws {
        let payload = [UInt8](repeating: 0xAB, count: 300)
        var parser = WebSocketFrameParser(maxFrameSize: 300)
        var buffer = ByteBuffer(bytes: clientFrame(opcode: .binary, payload: payload))
        #expect(try parser.next(&buffer)?.payload == ByteBuffer(bytes: payload))
    }

    @Test("allowsRSV1 can be turned on after the handshake, between frames")
    func allowsRSV1Mutable() throws {
        var parser = WebSocketFrameParser()
        parser.allowsRSV1 = true
        var buffer = ByteBuffer(bytes: clientFrame(rsv1: true, opcode: .binary, payload: [1, 2, 3]))
        #expect(try parser.next(&buffer)?.rsv1 == true)
    }

    @Test("unmasking is correct for every payload length and alignment up to 40 bytes")
    func unmaskLengths() throws {
        for length in 0...40 {
            for offset in 0..<3 {
                let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
                var buffer = ByteBuffer(bytes: [UInt8](repeating: 0xEE, count: offset))
                buffer.moveReaderIndex(forwardBy: offset)
                buffer.writeBytes(clientFrame(opcode: .binary, payload: payload, key: [0x9C, 0x01, 0xFF, 0x5A]))
                var parser = WebSocketFrameParser()
                #expect(try parser.next(&buffer)?.payload.readableArray == payload, "length \(length)")
            }
        }
    }

    @Test("the payload is a fresh buffer: the read buffer is not changed")
    func inputUntouched() throws {
        let bytes = FrameFixture.valid[0].bytes
        let buffer = ByteBuffer(bytes: bytes)
        var reading = buffer
        var parser = WebSocketFrameParser()
        _ = try parser.next(&reading)
        #expect(buffer.readableArray == bytes)
    }

    @Test("random bytes never crash the parser")
    func randomBytes() {
        var generator = SplitMix64(seed: 0x5EED)
        for _ in 0..<2000 {
            let count = Int.random(in: 0...40, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = parseFrames(
                [bytes],
                parser: WebSocketFrameParser(maxFrameSize: 64, allowsRSV1: Bool.random(using: &generator))
            )
        }
    }
}
