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

/// Follows the frames of a connection through its messages and says what each frame means
/// (RFC 6455 §5.4, §5.5, §5.6).
///
/// It enforces the rules that span frames, which the per-frame ``WebSocketFrameParser`` cannot:
/// - a continuation frame needs a message in progress, and a text or binary frame needs none
///   (RFC 6455 §5.4); control frames may come between the fragments of a message;
/// - a message is at most ``maxMessageSize`` bytes on the wire (RFC 6455 §10.4, 1009);
/// - an uncompressed text message is valid UTF-8, checked as its bytes arrive so that a bad
///   byte fails the connection at once (RFC 6455 §5.6, §8.1, 1007);
/// - a close payload is empty or holds a valid code and a UTF-8 reason (RFC 6455 §5.5.1, §7.1.6).
///
/// The payload of a compressed message (RSV1 on its first frame) is handed out as it is: the
/// deflate extension inflates it, applies its own limit to the inflated size, and validates
/// inflated text with ``WebSocketUTF8Validator``.
package struct WebSocketMessageTracker: Sendable {
    /// The largest message accepted, in bytes on the wire, summed over its frames.
    package var maxMessageSize: Int

    private var message: Message?

    /// The data message in progress.
    private struct Message: Sendable {
        var opcode: WebSocketOpcode
        var compressed: Bool
        var size: Int
        /// Present for uncompressed text only.
        var utf8: WebSocketUTF8Validator?
    }

    /// What a frame means for the caller.
    package enum FrameAction: Hashable, Sendable {
        /// Application data: one fragment of a text or binary message.
        ///
        /// - `payload`: the frame's payload (compressed if `compressed`).
        /// - `messageStart`: this frame starts the message.
        /// - `messageEnd`: this frame ends the message (FIN).
        /// - `compressed`: the message had RSV1 on its first frame (RFC 7692 §6).
        /// - `opcode`: the message's type, `.text` or `.binary`, also on continuation frames.
        case data(
            payload: ByteBuffer,
            messageStart: Bool,
            messageEnd: Bool,
            compressed: Bool,
            opcode: WebSocketOpcode
        )
        /// A ping: answer with a pong carrying the same payload (RFC 6455 §5.5.2, §5.5.3).
        case ping(ByteBuffer)
        /// A pong: nothing to do beyond noting the peer is alive (RFC 6455 §5.5.3).
        case pong
        /// A close: `code` is `nil` if the payload was empty (RFC 6455 §7.1.5: no status code);
        /// `reason` is empty if absent. Run the close state machine.
        case close(code: WebSocketCloseCode?, reason: String)
    }

    /// Creates a tracker.
    ///
    /// - Parameter maxMessageSize: The largest message accepted, in bytes on the wire; 1 MiB by
    ///   default.
    package init(maxMessageSize: Int = 1 << 20) {
        self.maxMessageSize = maxMessageSize
    }

    /// Whether a fragmented data message has started and not yet ended.
    package var isMessageInProgress: Bool {
        self.message != nil
    }

    /// Takes the next frame from the parser.
    ///
    /// - Parameter frame: A frame that passed ``WebSocketFrameParser``.
    /// - Returns: What to do with it.
    /// - Throws: ``WebSocketProtocolError`` with 1002, 1007 or 1009.
    package mutating func frameReceived(_ frame: WebSocketFrame) throws(WebSocketProtocolError) -> FrameAction {
        switch frame.opcode {
        case .continuation, .text, .binary:
            return try self.dataFrameReceived(frame)
        case .ping:
            return .ping(frame.payload)
        case .pong:
            return .pong
        case .close:
            let (code, reason) = try Self.parseClosePayload(frame.payload)
            return .close(code: code, reason: reason)
        }
    }

    // MARK: - Data

    private mutating func dataFrameReceived(_ frame: WebSocketFrame) throws(WebSocketProtocolError) -> FrameAction {
        var message: Message
        let messageStart: Bool
        if frame.opcode == .continuation {
            // RFC 6455 §5.4: a fragmented message is one frame with FIN clear and an opcode,
            // then continuation frames; a continuation frame with nothing to continue is a
            // protocol error.
            guard let current = self.message else {
                throw .protocolError("continuation frame without a message in progress")
            }
            message = current
            messageStart = false
        } else {
            // RFC 6455 §5.4: "the fragments of one message MUST NOT be interleaved between the
            // fragments of another message".
            guard self.message == nil else {
                throw .protocolError("\(frame.opcode) frame while a fragmented message is in progress")
            }
            let compressed = frame.rsv1
            message = Message(
                opcode: frame.opcode,
                compressed: compressed,
                size: 0,
                utf8: frame.opcode == .text && !compressed ? WebSocketUTF8Validator() : nil
            )
            messageStart = true
        }

        // RFC 6455 §10.4, §7.4.1 (1009). Both sides are at most Int.max, and `size` is at most
        // `maxMessageSize` before this frame, so the subtraction cannot overflow.
        guard frame.payload.readableBytes <= self.maxMessageSize - message.size else {
            self.message = nil
            throw .tooBig("message of more than \(self.maxMessageSize) bytes")
        }
        message.size += frame.payload.readableBytes

        if var validator = message.utf8 {
            // RFC 6455 §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds
            // that the byte stream is not, in fact, a valid UTF-8 stream, that endpoint MUST
            // _Fail the WebSocket Connection_" (1007, §7.4.1). Checked per frame to fail fast.
            guard validator.validate(frame.payload), !frame.fin || validator.isComplete else {
                self.message = nil
                throw .invalidUTF8("text message is not valid UTF-8")
            }
            message.utf8 = validator
        }

        self.message = frame.fin ? nil : message
        return .data(
            payload: frame.payload,
            messageStart: messageStart,
            messageEnd: frame.fin,
            compressed: message.compressed,
            opcode: message.opcode
        )
    }

    // MARK: - Close

    /// Reads a close payload (RFC 6455 §5.5.1).
    ///
    /// - Parameter payload: The unmasked payload of a close frame.
    /// - Returns: The status code (`nil` for an empty payload) and the reason (empty if absent).
    /// - Throws: 1002 for a one-byte payload or a code that may not be sent; 1007 for a reason
    ///   that is not UTF-8.
    package static func parseClosePayload(
        _ payload: ByteBuffer
    ) throws(WebSocketProtocolError) -> (code: WebSocketCloseCode?, reason: String) {
        var payload = payload
        // RFC 6455 §5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte
        // unsigned integer ... representing a status code."
        guard payload.readableBytes > 0 else { return (nil, "") }
        guard let rawCode = payload.readInteger(as: UInt16.self) else {
            throw .protocolError("close payload of 1 byte")
        }
        let code = WebSocketCloseCode(rawValue: rawCode)
        // RFC 6455 §7.4.1, §7.4.2: reserved codes and codes that "MUST NOT be set ... in a Close
        // control frame" mean the peer broke the protocol.
        guard code.isValidOnWire else {
            throw .protocolError("close code \(rawCode) may not be sent")
        }
        // RFC 6455 §5.5.1: the reason "is not guaranteed to be human readable" but is UTF-8;
        // §7.1.6 and §8.1: invalid UTF-8 fails the connection with 1007.
        guard WebSocketUTF8Validator.isValid(payload) else {
            throw .invalidUTF8("close reason is not valid UTF-8")
        }
        return (code, payload.readString(length: payload.readableBytes) ?? "")
    }
}
