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
import SwiftletFuzzSupport
import SwiftletWebSocket

/// The WebSocket frame fuzz case (issue 14): a byte stream through ``WebSocketFrameParser`` and
/// ``WebSocketMessageTracker``, as the WebSocket bridge runs them, whole and in chunks.
///
/// Input: a settings byte (bit 0: parse as a client, i.e. unmasked server frames; bit 1:
/// permessage-deflate negotiated; bits 2-3: the frame size limit; bits 4-5: the message size
/// limit), two bytes that choose the chunk lengths, then the stream. What must hold:
/// - parser and tracker never trap;
/// - whole and chunked parsing give the same frames and the same error;
/// - every frame keeps the per-frame rules the parser promises (size limit, control frames final
///   and at most 125 bytes, RSV1 only where allowed), and encodes back to a frame that parses to
///   itself;
/// - the tracker's data messages stay within the message limit; an uncompressed text message it
///   passes is valid UTF-8 by Swift's own decoder, and one it fails as invalid UTF-8 is not;
///   a close it reads encodes back to the same code and reason;
/// - ``WebSocketUTF8Validator`` agrees with Swift's decoder on the raw stream, whole and in chunks.
package enum WebSocketFramesFuzzCase {
    /// 0 refuses every non-empty payload; 125 is the control-frame ceiling; 1 MiB is the default.
    private static let maxFrameSizes = [1 << 20, 0, 125, 1000]
    private static let maxMessageSizes = [1 << 20, 0, 200, 2000]

    /// The parser and tracker settings an input selects.
    private struct Settings {
        var role: WebSocketFrameParser.Role
        var allowsRSV1: Bool
        var maxFrameSize: Int
        var maxMessageSize: Int

        init(_ byte: UInt8) {
            self.role = byte & 1 == 0 ? .server : .client
            self.allowsRSV1 = byte & 2 != 0
            self.maxFrameSize = WebSocketFramesFuzzCase.maxFrameSizes[Int(byte >> 2 & 3)]
            self.maxMessageSize = WebSocketFramesFuzzCase.maxMessageSizes[Int(byte >> 4 & 3)]
        }

        func makeParser() -> WebSocketFrameParser {
            WebSocketFrameParser(maxFrameSize: self.maxFrameSize, allowsRSV1: self.allowsRSV1, role: self.role)
        }
    }

    /// Checks one input; throws when a property does not hold.
    package static func check(_ data: [UInt8]) throws(FuzzFailure) {
        var input = FuzzInput(data)
        let settings = Settings(input.byte())
        let (first, second) = (input.byte(), input.byte())
        let stream = input.rest()
        let chunks = fuzzChunks(stream, first: first, second: second)

        try Self.checkUTF8Validator(stream, chunks: chunks)

        let whole = Self.parse([stream[...]], settings: settings)
        let chunked = Self.parse(chunks, settings: settings)
        try fuzzCheck(whole.frames == chunked.frames, "whole and chunked parsing gave different frames")
        try fuzzCheck(whole.error == chunked.error, "whole: \(String(describing: whole.error)), chunked: \(String(describing: chunked.error))")

        for frame in whole.frames {
            try Self.checkFrame(frame, settings: settings)
        }
        try Self.checkMessages(whole.frames, settings: settings)
    }

    /// Builds an input: the seed corpus writes the unit tests' frame fixtures through this.
    package static func input(
        client: Bool = false,
        allowsRSV1: Bool = false,
        chunkLengths: (UInt8, UInt8) = (0, 6),
        stream: [UInt8]
    ) -> [UInt8] {
        let settings: UInt8 = (client ? 1 : 0) | (allowsRSV1 ? 2 : 0)
        return [settings, chunkLengths.0, chunkLengths.1] + stream
    }

    // MARK: - Frames

    private struct Parsed {
        var frames: [WebSocketFrame] = []
        var error: WebSocketProtocolError?
    }

    /// Parses `chunks` through one cumulation buffer, as the bridge's decoder does.
    private static func parse(_ chunks: [ArraySlice<UInt8>], settings: Settings) -> Parsed {
        var parser = settings.makeParser()
        var cumulation = ByteBuffer()
        var parsed = Parsed()
        for chunk in chunks {
            cumulation.writeBytes(chunk)
            do throws(WebSocketProtocolError) {
                while let frame = try parser.next(&cumulation) {
                    parsed.frames.append(frame)
                }
            } catch {
                parsed.error = error
                return parsed
            }
        }
        return parsed
    }

    private static func checkFrame(_ frame: WebSocketFrame, settings: Settings) throws(FuzzFailure) {
        let length = frame.payload.readableBytes
        try fuzzCheck(length <= settings.maxFrameSize, "frame of \(length) bytes passed the limit of \(settings.maxFrameSize)")
        if frame.opcode.isControl {
            try fuzzCheck(frame.fin && length <= 125, "control frame not final or over 125 bytes")
        }
        if frame.rsv1 {
            try fuzzCheck(settings.allowsRSV1 && frame.opcode.startsMessage, "RSV1 on a \(frame.opcode) frame")
        }

        // The same frame, written the way the peer of this parser writes it, parses to itself.
        var encoded = ByteBuffer()
        switch settings.role {
        case .server:
            WebSocketFrameEncoder.encodeMasked(frame, maskingKey: WebSocketMaskingKey(0x12, 0x34, 0x56, 0x78), into: &encoded)
        case .client:
            WebSocketFrameEncoder.encode(frame, into: &encoded)
        }
        var parser = settings.makeParser()
        let reparsed: WebSocketFrame?
        do throws(WebSocketProtocolError) {
            reparsed = try parser.next(&encoded)
        } catch {
            throw FuzzFailure("a re-encoded \(frame.opcode) frame was refused: \(error)")
        }
        try fuzzCheck(reparsed == frame, "a re-encoded \(frame.opcode) frame parsed as something else")
        try fuzzCheck(encoded.readableBytes == 0, "bytes left after a re-encoded frame")
    }

    // MARK: - Messages

    /// Runs the frames through a tracker until it fails, checking what it lets through.
    private static func checkMessages(_ frames: [WebSocketFrame], settings: Settings) throws(FuzzFailure) {
        var tracker = WebSocketMessageTracker(maxMessageSize: settings.maxMessageSize)
        // The uncompressed text message in progress, to compare with Swift's UTF-8 decoder.
        var text: [UInt8]?
        var messageSize = 0
        for frame in frames {
            let action: WebSocketMessageTracker.FrameAction
            do throws(WebSocketProtocolError) {
                action = try tracker.frameReceived(frame)
            } catch {
                // The text this frame belongs to: a new uncompressed one, or the one in progress.
                let textSoFar = frame.opcode == .text ? (frame.rsv1 ? nil : []) : frame.opcode == .continuation ? text : nil
                if error.closeCode == .invalidFramePayloadData, var bytes = textSoFar {
                    // The validator fails on the first byte that cannot continue a valid text, so
                    // the text so far plus this frame is no valid text, nor a prefix of one when
                    // the frame is not the last.
                    bytes += frame.payload.readableBytesView
                    try fuzzCheck(
                        String(validating: bytes, as: UTF8.self) == nil,
                        "a text message refused as invalid UTF-8 is valid"
                    )
                }
                return
            }
            switch action {
            case .data(let payload, let messageStart, let messageEnd, let compressed, let opcode):
                if messageStart {
                    messageSize = 0
                    text = opcode == .text && !compressed ? [] : nil
                }
                messageSize += payload.readableBytes
                try fuzzCheck(messageSize <= settings.maxMessageSize, "message of \(messageSize) bytes passed the limit")
                text? += payload.readableBytesView
                if messageEnd, let bytes = text {
                    try fuzzCheck(
                        String(validating: bytes, as: UTF8.self) != nil,
                        "a text message the tracker passed is not valid UTF-8"
                    )
                    text = nil
                }
            case .close(let code, let reason):
                try Self.checkCloseRoundTrip(code: code, reason: reason)
            case .ping, .pong:
                break
            }
        }
    }

    /// A close frame the tracker read, written by our encoder, reads back the same.
    private static func checkCloseRoundTrip(code: WebSocketCloseCode?, reason: String) throws(FuzzFailure) {
        var encoded = ByteBuffer()
        WebSocketFrameEncoder.encodeClose(code: code, reason: reason, into: &encoded)
        var parser = WebSocketFrameParser(role: .client)
        guard let frame = try? parser.next(&encoded) else {
            throw FuzzFailure("a close frame written by the encoder does not parse")
        }
        guard let (code2, reason2) = try? WebSocketMessageTracker.parseClosePayload(frame.payload) else {
            throw FuzzFailure("a close payload written by the encoder is refused")
        }
        try fuzzCheck(code2 == code && reason2 == reason, "close \(String(describing: code)) did not survive a round trip")
    }

    // MARK: - UTF-8

    /// The incremental validator against Swift's decoder, on the stream whole and in chunks.
    private static func checkUTF8Validator(_ stream: [UInt8], chunks: [ArraySlice<UInt8>]) throws(FuzzFailure) {
        let expected = String(validating: stream, as: UTF8.self) != nil
        try fuzzCheck(
            WebSocketUTF8Validator.isValid(ByteBuffer(bytes: stream)) == expected,
            "the UTF-8 validator disagrees with Swift on the whole stream"
        )
        var validator = WebSocketUTF8Validator()
        var valid = true
        for chunk in chunks where valid {
            valid = chunk.withUnsafeBytes { validator.validate($0) }
        }
        try fuzzCheck((valid && validator.isComplete) == expected, "the UTF-8 validator disagrees with Swift in chunks")
    }
}
