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

@Suite("Frame encoder")
struct FrameEncoderTests {
    func encoded(_ frame: WebSocketFrame) -> [UInt8] {
        var buffer = ByteBuffer()
        WebSocketFrameEncoder.encode(frame, into: &buffer)
        return buffer.readableArray
    }

    @Test(
        "RFC 6455 §5.2: the header uses the minimal length encoding",
        arguments: [
            (0, 2), (1, 2), (125, 2), (126, 4), (127, 4), (65535, 4), (65536, 10), (1 << 32, 10),
        ] as [(Int, Int)]
    )
    func headerSize(payloadLength: Int, size: Int) {
        #expect(WebSocketFrameEncoder.headerSize(payloadLength: payloadLength) == size)
        var buffer = ByteBuffer()
        WebSocketFrameEncoder.writeHeader(
            fin: true,
            rsv1: false,
            opcode: .binary,
            payloadLength: payloadLength,
            into: &buffer
        )
        #expect(buffer.readableBytes == size)
    }

    @Test("annotated headers")
    func headerBytes() {
        func header(fin: Bool = true, rsv1: Bool = false, _ opcode: WebSocketOpcode, _ length: Int) -> [UInt8] {
            var buffer = ByteBuffer()
            WebSocketFrameEncoder.writeHeader(
                fin: fin,
                rsv1: rsv1,
                opcode: opcode,
                payloadLength: length,
                into: &buffer
            )
            return buffer.readableArray
        }
        #expect(header(.text, 5) == [0x81, 0x05])  // RFC 6455 §5.7: FIN, text; no MASK, 5
        #expect(header(fin: false, .text, 3) == [0x01, 0x03])  // RFC 6455 §5.7: first fragment
        #expect(header(.continuation, 2) == [0x80, 0x02])  // RFC 6455 §5.7: last fragment
        #expect(header(rsv1: true, .binary, 0) == [0xC2, 0x00])  // FIN, RSV1, binary
        #expect(header(.binary, 256) == [0x82, 0x7E, 0x01, 0x00])  // RFC 6455 §5.7: 256 bytes
        #expect(header(.binary, 65536) == [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0])  // RFC 6455 §5.7: 64 KiB
        #expect(header(.close, 2) == [0x88, 0x02])
        #expect(header(.pong, 0) == [0x8A, 0x00])
    }

    @Test("RFC 6455 §5.7: unmasked \"Hello\"")
    func unmaskedHello() {
        let frame = WebSocketFrame(opcode: .text, payload: ByteBuffer(string: "Hello"))
        #expect(encoded(frame) == [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
    }

    @Test(
        "encode, mask as a client would, parse: the same frame",
        arguments: [0, 1, 5, 125, 126, 1000, 65535, 65536, 70000] as [Int]
    )
    func roundTrip(length: Int) throws {
        let payload = ByteBuffer(bytes: (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 11) })
        let frames = [
            WebSocketFrame(opcode: .binary, payload: payload),
            WebSocketFrame(fin: false, rsv1: true, opcode: .text, payload: payload),
            WebSocketFrame(fin: true, opcode: .continuation, payload: payload),
        ]
        for frame in frames {
            var parser = WebSocketFrameParser(allowsRSV1: true)
            var buffer = ByteBuffer(bytes: maskedCopy(ofServerFrame: encoded(frame)))
            #expect(try parser.next(&buffer) == frame)
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test("control frames round-trip")
    func controlRoundTrip() throws {
        for opcode in [WebSocketOpcode.ping, .pong, .close] {
            let frame = WebSocketFrame(opcode: opcode, payload: ByteBuffer(bytes: [0x03, 0xE8, 0x61]))
            var parser = WebSocketFrameParser()
            var buffer = ByteBuffer(bytes: maskedCopy(ofServerFrame: encoded(frame)))
            #expect(try parser.next(&buffer) == frame)
        }
    }

    @Test("RFC 6455 §5.5.1: a close with a code and a reason")
    func closeFrame() {
        var buffer = ByteBuffer()
        WebSocketFrameEncoder.encodeClose(code: .normalClosure, reason: "bye", into: &buffer)
        #expect(buffer.readableArray == [0x88, 0x05, 0x03, 0xE8, 0x62, 0x79, 0x65])

        buffer.clear()
        WebSocketFrameEncoder.encodeClose(code: .messageTooBig, into: &buffer)
        #expect(buffer.readableArray == [0x88, 0x02, 0x03, 0xF1])

        buffer.clear()
        WebSocketFrameEncoder.encodeClose(code: nil, reason: "ignored", into: &buffer)
        #expect(buffer.readableArray == [0x88, 0x00])
    }

    @Test("a long close reason is cut to 123 bytes on a character boundary")
    func closeReasonTruncated() throws {
        // 122 ASCII bytes then a 3-byte character: it would end at byte 125, so it is dropped.
        let reason = String(repeating: "a", count: 122) + "€" + "tail"
        var buffer = ByteBuffer()
        WebSocketFrameEncoder.encodeClose(code: .normalClosure, reason: reason, into: &buffer)
        #expect(buffer.readableBytes == 2 + 2 + 122)

        var tracker = WebSocketMessageTracker()
        var parser = WebSocketFrameParser()
        var wire = ByteBuffer(bytes: maskedCopy(ofServerFrame: buffer.readableArray))
        let frame = try #require(try parser.next(&wire))
        #expect(
            try tracker.frameReceived(frame) == .close(code: .normalClosure, reason: String(repeating: "a", count: 122))
        )

        // Exactly 123 bytes fit.
        buffer.clear()
        WebSocketFrameEncoder.encodeClose(
            code: .normalClosure,
            reason: String(repeating: "b", count: 123),
            into: &buffer
        )
        #expect(buffer.readableArray.prefix(2) == [0x88, 125])
    }

    @Test("RFC 6455 §5.5.3: a pong echoes the ping's payload")
    func pong() {
        var buffer = ByteBuffer()
        WebSocketFrameEncoder.encodePong(payload: ByteBuffer(string: "Hello"), into: &buffer)
        #expect(buffer.readableArray == [0x8A, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
    }

    @Test("a header written apart, then a shared payload: the same bytes as encode")
    func headerInFrontOfSharedPayload() {
        let payload = ByteBuffer(bytes: [UInt8](repeating: 7, count: 300))
        var header = ByteBuffer()
        WebSocketFrameEncoder.writeHeader(fin: true, rsv1: true, opcode: .binary, payloadLength: 300, into: &header)
        #expect(
            header.readableArray + payload.readableArray
                == encoded(WebSocketFrame(rsv1: true, opcode: .binary, payload: payload))
        )
    }
}
