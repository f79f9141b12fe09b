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

/// A resumable parser of WebSocket frames (RFC 6455 §5.2), on either end of a connection.
///
/// ``Role/server`` (the default) parses what a client sends: every frame must be masked.
/// ``Role/client`` parses what a server sends: no frame may be masked, and the payload is handed
/// out as a slice of the input, without a copy.
///
/// Like NIO's `WSParser` it is a value type that moves through the parts of a frame header one
/// state at a time, consuming bytes from the buffer only once a whole part is there: first byte,
/// second byte (mask bit and 7-bit length), extended length, masking key, payload. Each part is
/// validated the moment it is complete, so a bad frame fails on its first bad byte and an
/// oversized frame fails on its length, before any of its payload is buffered.
///
/// What it enforces, per frame:
/// - as a server, every frame is masked; as a client, no frame is (RFC 6455 §5.1);
/// - RSV2 and RSV3 are clear, and RSV1 is set only if permessage-deflate was negotiated and only
///   on a text or binary frame (RFC 6455 §5.2, RFC 7692 §6, §6.1);
/// - the opcode is defined (RFC 6455 §5.2, §11.8);
/// - control frames are final and carry at most 125 bytes (RFC 6455 §5.5);
/// - the length uses the minimal encoding and a 64-bit length has its top bit clear
///   (RFC 6455 §5.2);
/// - the payload is at most ``maxFrameSize`` bytes (RFC 6455 §10.4; answered with 1009, §7.4.1).
///
/// What it leaves to others: the order of frames (fragmentation, §5.4), close payloads and
/// UTF-8 belong to ``WebSocketMessageTracker``; inflating belongs to the deflate extension.
///
/// Once it has thrown, the parser stays failed and throws the same error on every later call:
/// the connection is to be failed (RFC 6455 §7.1.7), and no byte after the bad one is meaningful.
package struct WebSocketFrameParser: Sendable {
    /// Which end of the connection parses: it decides the masking rule (RFC 6455 §5.1).
    package enum Role: Hashable, Sendable {
        /// Parses frames from a client: each one MUST be masked.
        case server
        /// Parses frames from a server: none may be masked.
        case client
    }

    /// Which end of the connection this parser is on.
    package let role: Role

    /// The largest payload accepted in one frame, in bytes.
    package var maxFrameSize: Int
    /// Whether RSV1 may be set on the first frame of a message: true once permessage-deflate is
    /// negotiated (RFC 7692 §6).
    package var allowsRSV1: Bool

    private var state: State = .firstByte

    /// Creates a parser.
    ///
    /// - Parameters:
    ///   - maxFrameSize: The largest payload accepted in one frame, in bytes; 1 MiB by default.
    ///   - allowsRSV1: Whether permessage-deflate was negotiated; `false` by default.
    ///   - role: Which end parses; `.server` by default.
    package init(maxFrameSize: Int = 1 << 20, allowsRSV1: Bool = false, role: Role = .server) {
        self.maxFrameSize = maxFrameSize
        self.allowsRSV1 = allowsRSV1
        self.role = role
    }

    /// Parses the next frame from `buffer`.
    ///
    /// - Parameter buffer: Bytes received from the peer. Only the bytes of completely parsed
    ///   header parts and payloads are consumed; the rest stay readable for the next call.
    /// - Returns: The next frame with its payload unmasked, or `nil` if more bytes are needed.
    /// - Throws: ``WebSocketProtocolError`` with 1002 or 1009 if the peer broke a rule.
    package mutating func next(_ buffer: inout ByteBuffer) throws(WebSocketProtocolError) -> WebSocketFrame? {
        while true {
            switch try self.step(&buffer) {
            case .needMoreData:
                return nil
            case .continueParsing:
                continue
            case .frame(let frame):
                return frame
            }
        }
    }

    // MARK: - States

    /// What the first byte says.
    private struct Header: Sendable {
        var fin: Bool
        var rsv1: Bool
        var opcode: WebSocketOpcode
    }

    private enum State: Sendable {
        case firstByte
        case lengthByte(Header)
        case extendedLength(Header, byteCount: Int)
        case maskingKey(Header, payloadLength: Int)
        /// `maskingKey` is `nil` for the unmasked frames a client receives.
        case payload(Header, payloadLength: Int, maskingKey: WebSocketMaskingKey?)
        case failed(WebSocketProtocolError)
    }

    private enum StepResult {
        case needMoreData
        case continueParsing
        case frame(WebSocketFrame)
    }

    private mutating func step(_ buffer: inout ByteBuffer) throws(WebSocketProtocolError) -> StepResult {
        switch self.state {
        case .firstByte:
            guard let byte = buffer.readInteger(as: UInt8.self) else { return .needMoreData }
            self.state = .lengthByte(try self.parseFirstByte(byte))
            return .continueParsing

        case .lengthByte(let header):
            guard let byte = buffer.readInteger(as: UInt8.self) else { return .needMoreData }
            self.state = try self.parseLengthByte(byte, header: header)
            return .continueParsing

        case .extendedLength(let header, let byteCount):
            let length: Int
            if byteCount == 2 {
                guard let value = buffer.readInteger(as: UInt16.self) else { return .needMoreData }
                // RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
                guard value > 125 else {
                    throw self.fail(.protocolError("16-bit length \(value) should use the 7-bit encoding"))
                }
                length = Int(value)
                try self.checkSize(length)
            } else {
                guard let value = buffer.readInteger(as: UInt64.self) else { return .needMoreData }
                // RFC 6455 §5.2: "the most significant bit MUST be 0".
                guard value & (1 << 63) == 0 else {
                    throw self.fail(.protocolError("64-bit length has its most significant bit set"))
                }
                // RFC 6455 §5.2: minimal encoding.
                guard value > 0xFFFF else {
                    throw self.fail(.protocolError("64-bit length \(value) should use a shorter encoding"))
                }
                // Compared as UInt64: the value may not fit in an Int on a 32-bit platform.
                // RFC 6455 §10.4, §7.4.1 (1009), decided before the payload is buffered.
                guard value <= UInt64(max(self.maxFrameSize, 0)) else {
                    throw self.fail(.tooBig("frame of \(value) bytes is over the limit of \(self.maxFrameSize)"))
                }
                length = Int(value)
            }
            self.state = self.stateAfterLength(header, payloadLength: length)
            return .continueParsing

        case .maskingKey(let header, let payloadLength):
            guard let key = buffer.readMultipleIntegers(as: (UInt8, UInt8, UInt8, UInt8).self) else {
                return .needMoreData
            }
            self.state = .payload(
                header,
                payloadLength: payloadLength,
                maskingKey: WebSocketMaskingKey(key.0, key.1, key.2, key.3)
            )
            return .continueParsing

        case .payload(let header, let payloadLength, let maskingKey):
            guard let data = buffer.readSlice(length: payloadLength) else { return .needMoreData }
            self.state = .firstByte
            return .frame(
                WebSocketFrame(
                    fin: header.fin,
                    rsv1: header.rsv1,
                    opcode: header.opcode,
                    // A server's frames are not masked: the slice is the payload, no copy.
                    payload: maskingKey.map { $0.applied(to: data) } ?? data
                )
            )

        case .failed(let error):
            throw error
        }
    }

    // MARK: - Header parts

    private mutating func parseFirstByte(_ byte: UInt8) throws(WebSocketProtocolError) -> Header {
        let fin = byte & 0x80 != 0
        let rsv1 = byte & 0x40 != 0
        // RFC 6455 §5.2: RSV2 and RSV3 "MUST be 0 unless an extension is negotiated that defines
        // meanings"; permessage-deflate only defines RSV1 (RFC 7692 §6).
        guard byte & 0x30 == 0 else {
            throw self.fail(.protocolError("RSV2 or RSV3 is set"))
        }
        // RFC 6455 §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the
        // WebSocket Connection_." 0x3-0x7 and 0xB-0xF are reserved (§11.8).
        guard let opcode = WebSocketOpcode(rawValue: byte & 0x0F) else {
            throw self.fail(.protocolError("reserved opcode \(byte & 0x0F)"))
        }
        if rsv1 {
            // RFC 6455 §5.2: RSV1 MUST be 0 unless an extension defining it was negotiated.
            guard self.allowsRSV1 else {
                throw self.fail(.protocolError("RSV1 is set but no extension was negotiated"))
            }
            // RFC 7692 §6.1: the "Per-Message Compressed" bit is set on the first frame of a
            // message only; an endpoint MUST NOT set it on continuation frames, and control
            // frames are never compressed (RFC 7692 §6: "MUST NOT set the RSV1 bit" on them).
            guard opcode.startsMessage else {
                throw self.fail(.protocolError("RSV1 is set on a \(opcode) frame"))
            }
        }
        // RFC 6455 §5.5: "All control frames ... MUST NOT be fragmented."
        if opcode.isControl && !fin {
            throw self.fail(.protocolError("fragmented \(opcode) frame"))
        }
        return Header(fin: fin, rsv1: rsv1, opcode: opcode)
    }

    private mutating func parseLengthByte(_ byte: UInt8, header: Header) throws(WebSocketProtocolError) -> State {
        switch self.role {
        case .server:
            // RFC 6455 §5.1: "The server MUST close the connection upon receiving a frame that is
            // not masked", with 1002 (§7.4.1).
            guard byte & 0x80 != 0 else {
                throw self.fail(.protocolError("client frame is not masked"))
            }
        case .client:
            // RFC 6455 §5.1: "A client MUST close a connection if it detects a masked frame", with
            // 1002 (§7.4.1).
            guard byte & 0x80 == 0 else {
                throw self.fail(.protocolError("server frame is masked"))
            }
        }
        let length = byte & 0x7F
        // RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less."
        // With the minimal encoding a longer control payload can only use 126 or 127 here.
        if header.opcode.isControl && length > 125 {
            throw self.fail(.protocolError("\(header.opcode) frame with an extended length"))
        }
        switch length {
        case 126:
            return .extendedLength(header, byteCount: 2)
        case 127:
            return .extendedLength(header, byteCount: 8)
        default:
            try self.checkSize(Int(length))
            return self.stateAfterLength(header, payloadLength: Int(length))
        }
    }

    /// A server reads a masking key next; a client goes straight to the payload.
    private func stateAfterLength(_ header: Header, payloadLength: Int) -> State {
        switch self.role {
        case .server: .maskingKey(header, payloadLength: payloadLength)
        case .client: .payload(header, payloadLength: payloadLength, maskingKey: nil)
        }
    }

    /// Fails a frame as soon as its length is known, before its payload is buffered.
    private mutating func checkSize(_ length: Int) throws(WebSocketProtocolError) {
        // RFC 6455 §10.4: implementations SHOULD impose limits on frame size; §7.4.1: 1009 for
        // "a message that is too big for it to process".
        guard length <= self.maxFrameSize else {
            throw self.fail(.tooBig("frame of \(length) bytes is over the limit of \(self.maxFrameSize)"))
        }
    }

    /// Moves to the terminal state and returns the error to throw.
    private mutating func fail(_ error: WebSocketProtocolError) -> WebSocketProtocolError {
        self.state = .failed(error)
        return error
    }
}
