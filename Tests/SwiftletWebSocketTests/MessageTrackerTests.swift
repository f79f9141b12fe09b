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

@Suite("Message tracker")
struct MessageTrackerTests {
    func frame(
        _ opcode: WebSocketOpcode,
        _ payload: [UInt8] = [],
        fin: Bool = true,
        rsv1: Bool = false
    ) -> WebSocketFrame {
        WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, payload: ByteBuffer(bytes: payload))
    }

    func data(
        _ payload: [UInt8],
        start: Bool,
        end: Bool,
        compressed: Bool = false,
        _ opcode: WebSocketOpcode = .binary
    ) -> WebSocketMessageTracker.FrameAction {
        .data(
            payload: ByteBuffer(bytes: payload),
            messageStart: start,
            messageEnd: end,
            compressed: compressed,
            opcode: opcode
        )
    }

    func closeCode(
        _ frames: [WebSocketFrame],
        tracker: WebSocketMessageTracker = WebSocketMessageTracker()
    )
        -> WebSocketCloseCode?
    {
        var tracker = tracker
        do throws(WebSocketProtocolError) {
            for frame in frames {
                _ = try tracker.frameReceived(frame)
            }
        } catch {
            return error.closeCode
        }
        return nil
    }

    // MARK: - Fragmentation, RFC 6455 §5.4

    @Test("an unfragmented binary message")
    func unfragmented() throws {
        var tracker = WebSocketMessageTracker()
        #expect(try tracker.frameReceived(frame(.binary, [1, 2])) == data([1, 2], start: true, end: true))
        #expect(!tracker.isMessageInProgress)
    }

    @Test("a fragmented message with a ping and a pong between its fragments")
    func fragmentedWithControlFrames() throws {
        var tracker = WebSocketMessageTracker()
        #expect(try tracker.frameReceived(frame(.binary, [1], fin: false)) == data([1], start: true, end: false))
        #expect(tracker.isMessageInProgress)
        #expect(try tracker.frameReceived(frame(.ping, [9])) == .ping(ByteBuffer(bytes: [9])))
        #expect(try tracker.frameReceived(frame(.continuation, [2], fin: false)) == data([2], start: false, end: false))
        #expect(try tracker.frameReceived(frame(.pong, [8])) == .pong)
        #expect(try tracker.frameReceived(frame(.continuation, [3])) == data([3], start: false, end: true))
        #expect(!tracker.isMessageInProgress)
        // And the next message starts afresh.
        #expect(try tracker.frameReceived(frame(.text, Array("a".utf8))) == data([0x61], start: true, end: true, .text))
    }

    @Test("a close between fragments is reported")
    func closeBetweenFragments() throws {
        var tracker = WebSocketMessageTracker()
        _ = try tracker.frameReceived(frame(.text, [0x61], fin: false))
        #expect(try tracker.frameReceived(frame(.close, [0x03, 0xE8])) == .close(code: .normalClosure, reason: ""))
    }

    @Test("RFC 6455 §5.4: a continuation frame without a message in progress is 1002")
    func continuationWithoutMessage() {
        #expect(closeCode([frame(.continuation, [1])]) == .protocolError)
        #expect(closeCode([frame(.continuation, [1], fin: false)]) == .protocolError)
        // Also right after a message ended.
        #expect(closeCode([frame(.binary, [1]), frame(.continuation, [2])]) == .protocolError)
    }

    @Test(
        "RFC 6455 §5.4: a new data frame inside a fragmented message is 1002",
        arguments: [WebSocketOpcode.text, .binary] as [WebSocketOpcode],
        [WebSocketOpcode.text, .binary] as [WebSocketOpcode]
    )
    func interleavedMessages(first: WebSocketOpcode, second: WebSocketOpcode) {
        #expect(closeCode([frame(first, [0x61], fin: false), frame(second, [0x62])]) == .protocolError)
    }

    // MARK: - Compression flag, RFC 7692 §6

    @Test("RSV1 on the first frame marks every fragment of the message as compressed")
    func compressedMessage() throws {
        var tracker = WebSocketMessageTracker()
        #expect(
            try tracker.frameReceived(frame(.binary, [1], fin: false, rsv1: true))
                == data([1], start: true, end: false, compressed: true)
        )
        #expect(
            try tracker.frameReceived(frame(.continuation, [2])) == data([2], start: false, end: true, compressed: true)
        )
        // The next message is not.
        #expect(try tracker.frameReceived(frame(.binary, [3])) == data([3], start: true, end: true))
    }

    @Test("compressed text is passed through unvalidated: the inflater validates it")
    func compressedTextNotValidated() throws {
        var tracker = WebSocketMessageTracker()
        let deflated: [UInt8] = [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]
        #expect(
            try tracker.frameReceived(frame(.text, deflated, rsv1: true))
                == data(deflated, start: true, end: true, compressed: true, .text)
        )
    }

    // MARK: - Size, RFC 6455 §10.4

    @Test("a message of exactly the limit is accepted; one byte more is 1009")
    func messageSizeLimit() throws {
        let limit = WebSocketMessageTracker(maxMessageSize: 10)
        let atLimit = [
            frame(.binary, [UInt8](repeating: 1, count: 4), fin: false),
            frame(.continuation, [UInt8](repeating: 2, count: 6)),
        ]
        #expect(closeCode(atLimit, tracker: limit) == nil)
        let overLimit = [
            frame(.binary, [UInt8](repeating: 1, count: 4), fin: false),
            frame(.ping, [UInt8](repeating: 9, count: 100)),  // control frames do not count
            frame(.continuation, [UInt8](repeating: 2, count: 6), fin: false),
            frame(.continuation, [3]),
        ]
        #expect(closeCode(overLimit, tracker: limit) == .messageTooBig)
        #expect(closeCode([frame(.text, [UInt8](repeating: 0x61, count: 11))], tracker: limit) == .messageTooBig)
    }

    @Test("the size counts per message: many messages at the limit are fine")
    func sizeResetsPerMessage() {
        let frames = (0..<10).map { _ in frame(.binary, [UInt8](repeating: 0, count: 10)) }
        #expect(closeCode(frames, tracker: WebSocketMessageTracker(maxMessageSize: 10)) == nil)
    }

    // MARK: - UTF-8, RFC 6455 §5.6, §8.1

    @Test("text split inside a code point across fragments is valid")
    func textSplitCodePoint() {
        let euro: [UInt8] = [0xE2, 0x82, 0xAC]
        let frames = [
            frame(.text, [0x61, euro[0]], fin: false),
            frame(.continuation, [euro[1]], fin: false),
            frame(.continuation, [euro[2], 0x62]),
        ]
        #expect(closeCode(frames) == nil)
    }

    @Test("invalid UTF-8 in the first fragment fails at once with 1007")
    func textFailFast() throws {
        var tracker = WebSocketMessageTracker()
        let error = #expect(throws: WebSocketProtocolError.self) {
            _ = try tracker.frameReceived(frame(.text, [0x61, 0xC0, 0x80], fin: false))
        }
        #expect(error?.closeCode == .invalidFramePayloadData)
    }

    @Test("text ending inside a code point is 1007")
    func textTruncated() {
        #expect(closeCode([frame(.text, [0x61, 0xE2, 0x82])]) == .invalidFramePayloadData)
        #expect(
            closeCode([frame(.text, [0xE2], fin: false), frame(.continuation, [0x82])]) == .invalidFramePayloadData
        )
    }

    @Test("binary is never validated")
    func binaryNotValidated() {
        #expect(closeCode([frame(.binary, [0xFF, 0xFE, 0xC0])]) == nil)
    }

    // MARK: - Close payloads, RFC 6455 §5.5.1, §7.4

    @Test("an empty close has no code and no reason")
    func emptyClose() throws {
        var tracker = WebSocketMessageTracker()
        #expect(try tracker.frameReceived(frame(.close)) == .close(code: nil, reason: ""))
    }

    @Test("a close with a code and a UTF-8 reason")
    func closeWithReason() throws {
        var tracker = WebSocketMessageTracker()
        let payload: [UInt8] = [0x0F, 0xA0] + Array("bye ✓".utf8)  // 4000
        #expect(
            try tracker.frameReceived(frame(.close, payload))
                == .close(code: WebSocketCloseCode(rawValue: 4000), reason: "bye ✓")
        )
    }

    @Test("RFC 6455 §5.5.1: a close payload of one byte is 1002")
    func oneByteClose() {
        #expect(closeCode([frame(.close, [0x03])]) == .protocolError)
    }

    @Test(
        "RFC 6455 §7.4: codes a peer may send are accepted",
        arguments: [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999] as [UInt16]
    )
    func validCloseCode(_ code: UInt16) throws {
        var tracker = WebSocketMessageTracker()
        let payload = [UInt8(code >> 8), UInt8(code & 0xFF)]
        #expect(
            try tracker.frameReceived(frame(.close, payload))
                == .close(code: WebSocketCloseCode(rawValue: code), reason: "")
        )
        #expect(WebSocketCloseCode(rawValue: code).isValidOnWire)
    }

    @Test(
        "RFC 6455 §7.4: reserved codes and codes that must not be sent are 1002",
        arguments: [0, 1, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 1100, 2000, 2999, 5000, 65535]
            as [UInt16]
    )
    func invalidCloseCode(_ code: UInt16) {
        #expect(closeCode([frame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)])]) == .protocolError)
        #expect(!WebSocketCloseCode(rawValue: code).isValidOnWire)
    }

    @Test("RFC 6455 §7.1.6, §8.1: a close reason that is not UTF-8 is 1007")
    func closeReasonNotUTF8() {
        #expect(
            closeCode([
                frame(
                    .close,
                    [0x03, 0xE8, 0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80]
                )
            ]) == .invalidFramePayloadData
        )
        #expect(closeCode([frame(.close, [0x03, 0xE8, 0xFF])]) == .invalidFramePayloadData)
        // A truncated code point at the end of the reason.
        #expect(closeCode([frame(.close, [0x03, 0xE8, 0xE2, 0x82])]) == .invalidFramePayloadData)
    }
}
