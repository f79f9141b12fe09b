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

/// Decodes MQTT 3.1, 3.1.1 and 5.0 control packets from a byte stream, one packet per call.
///
/// The decoder is a value type meant to live inside the connection handler (STYLE §2.1, §8.3):
/// call ``decodePacket(buffer:)`` on the connection's cumulation buffer until it returns `nil`, or
/// use it through `NIOSingleStepByteToMessageProcessor` or `ByteToMessageHandler`.
///
/// ## State
///
/// ``version`` is the whole state. `nil` means *server awaiting CONNECT*: only a CONNECT is
/// accepted [MQTT-3.1.0-1], and decoding it sets ``version`` to the CONNECT's protocol version.
/// From then on a second CONNECT is a protocol error [MQTT-3.1.0-2], and packets only a server
/// sends (CONNACK, SUBACK, UNSUBACK, PINGRESP) or a PUBLISH with a subscription identifier
/// [MQTT-3.3.4-6] are protocol errors too. A client creates the decoder with its version preset;
/// such a decoder accepts every packet type of that version except CONNECT.
///
/// ## Limits, checked before buffering
///
/// The fixed header is only peeked until the whole packet is there. The remaining length is
/// rejected as malformed as soon as a fourth byte with the continuation bit shows, and a packet
/// whose total size (fixed header included) exceeds ``maximumPacketSize`` is rejected with 0x95
/// as soon as its remaining length is known, before any of its body is waited for.
///
/// ## What is checked
///
/// Everything the bytes of one packet decide, per version: reserved flags, QoS values, packet
/// identifiers, strict UTF-8 without U+0000, topic names, subscription options, property
/// identifiers, their placement, repetition and values, reason codes, and that the body is used up
/// exactly. Each check cites the normative statement it enforces. What depends on other packets
/// (topic alias ranges, receive maximum, packet identifiers in flight, session expiry in
/// DISCONNECT) is the session's; wildcard placement in SUBSCRIBE filters is the broker's, which
/// answers it per filter with SUBACK 0x8F (``Topic/isValidFilter(_:)``).
///
/// A PUBLISH payload, will payload, password and binary properties are slices of the input
/// buffer: no copy.
package struct MQTTPacketDecoder: NIOSingleStepByteToMessageDecoder, Sendable {
    package typealias InboundOut = MQTTPacket

    /// The protocol version of the connection; `nil` until a CONNECT was decoded.
    ///
    /// Set as soon as a CONNECT's protocol level is read, even if the rest of that CONNECT is then
    /// refused: a server can answer the refusal with a CONNACK in the client's version.
    package var version: ProtocolVersion?

    /// The largest packet accepted, in bytes, fixed header included.
    package var maximumPacketSize: Int

    /// Whether this decoder read the CONNECT itself, and so knows its peer is a client.
    private var peerIsClient: Bool

    /// - Parameters:
    ///   - maximumPacketSize: The largest packet accepted, fixed header included. Defaults to 1 MiB.
    ///   - version: `nil` for a server awaiting CONNECT; the negotiated version for a client.
    package init(maximumPacketSize: Int = 1 << 20, version: ProtocolVersion? = nil) {
        self.maximumPacketSize = maximumPacketSize
        self.version = version
        self.peerIsClient = false
    }

    /// Decodes the next packet from `buffer`.
    ///
    /// - Returns: The packet, with its bytes consumed from `buffer`; or `nil` when `buffer` does
    ///   not hold a whole packet yet, in which case `buffer` is left untouched.
    /// - Throws: ``MQTTDecodeError`` for any packet that may not be accepted. The connection cannot
    ///   continue after that: its byte stream has no reliable packet boundary any more.
    package mutating func decodePacket(buffer: inout ByteBuffer) throws(MQTTDecodeError) -> MQTTPacket? {
        guard let firstByte = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        // Refuse on the first byte what no length can make acceptable.
        let type = try self.validateFirstByte(firstByte)

        guard
            let (remainingLength, lengthSize) = try buffer.peekMQTTVariableByteInteger(
                at: buffer.readerIndex + 1,
                "remaining length"
            )
        else {
            return nil
        }
        let headerSize = 1 + lengthSize
        let packetSize = headerSize + remainingLength
        // Checked before waiting for the body, so no peer can make us buffer more (STYLE §2.1).
        guard packetSize <= self.maximumPacketSize else {
            throw .packetTooLarge(size: packetSize, maximum: self.maximumPacketSize)
        }
        guard var body = buffer.getSlice(at: buffer.readerIndex + headerSize, length: remainingLength) else {
            return nil
        }

        let packet = try self.decodeBody(&body, type: type, flags: firstByte & 0x0F)
        guard body.readableBytes == 0 else {
            throw .malformed("\(type.name) has \(body.readableBytes) bytes after its last field")
        }
        buffer.moveReaderIndex(forwardBy: packetSize)
        return packet
    }

    // MARK: - NIOSingleStepByteToMessageDecoder

    /// ``decodePacket(buffer:)`` for `ByteToMessageHandler` and `NIOSingleStepByteToMessageProcessor`.
    package mutating func decode(buffer: inout ByteBuffer) throws -> MQTTPacket? {
        try self.decodePacket(buffer: &buffer)
    }

    /// ``decodePacket(buffer:)`` once more at the end of the stream.
    ///
    /// A packet cut short by EOF is not completed or reported here; it stays in the buffer, where
    /// `ByteToMessageHandler` reports it as left-over data.
    package mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> MQTTPacket? {
        try self.decodePacket(buffer: &buffer)
    }

    // MARK: - Fixed header

    /// Checks the packet type and flags against the connection state and version.
    private func validateFirstByte(_ byte: UInt8) throws(MQTTDecodeError) -> PacketType {
        guard let type = PacketType(rawValue: byte >> 4) else {
            throw .malformed("reserved packet type 0")  // MQTT 5 §2.1.2
        }

        switch (self.version, type) {
        case (nil, .connect):
            break
        case (nil, _):
            throw .protocolError("\(type.name) before CONNECT")  // [MQTT-3.1.0-1]
        case (.some, .connect):
            throw .protocolError("second CONNECT")  // [MQTT-3.1.0-2]
        case (.some(let version), .auth) where version < .v5:
            throw .malformed("packet type 15 is reserved in MQTT \(version)")  // MQTT 3.1.1 §2.2.1
        case (.some, .connack), (.some, .suback), (.some, .unsuback), (.some, .pingresp):
            // MQTT 5 §2.1.2 (table 2-1): sent by the server only.
            guard !self.peerIsClient else { throw .protocolError("client sent \(type.name)") }
        default:
            break
        }

        let flags = byte & 0x0F
        switch type {
        case .publish:
            guard flags & PublishFlags.qosMask != PublishFlags.qosMask else {
                throw .malformed("PUBLISH QoS 3")  // [MQTT-3.3.1-4]
            }
            guard flags & PublishFlags.qosMask != 0 || flags & PublishFlags.dup == 0 else {
                throw .malformed("DUP is set on a QoS 0 PUBLISH")  // [MQTT-3.3.1-2]
            }
        case .pubrel, .subscribe, .unsubscribe:
            // MQTT 3.1 sent these with QoS 1 and let DUP mark a retry; keep accepting that there.
            let significant: UInt8 = self.version == .v3_1 ? 0b0111 : 0b1111
            guard flags & significant == 0b0010 else {
                // [MQTT-3.6.1-1] [MQTT-3.8.1-1] [MQTT-3.10.1-1]
                throw .malformed("\(type.name) fixed header flags must be 0010")
            }
        default:
            guard flags == 0 else {
                throw .malformed("\(type.name) fixed header flags must be 0000")  // [MQTT-2.1.3-1]
            }
        }
        return type
    }

    // MARK: - Body

    private mutating func decodeBody(
        _ body: inout ByteBuffer,
        type: PacketType,
        flags: UInt8
    ) throws(MQTTDecodeError) -> MQTTPacket {
        guard let version = self.version else {
            // validateFirstByte lets only CONNECT through without a version.
            let connectVersion = try ConnectPacket.decodeProtocolVersion(from: &body)
            self.version = connectVersion
            self.peerIsClient = true
            return .connect(try ConnectPacket(decodingAfterProtocolLevel: &body, version: connectVersion))
        }

        switch type {
        case .connect:
            // validateFirstByte refuses CONNECT once the version is known.
            throw .protocolError("second CONNECT")  // [MQTT-3.1.0-2]
        case .connack:
            return .connack(try ConnAckPacket(decoding: &body, version: version))
        case .publish:
            return .publish(
                try PublishPacket(decoding: &body, flags: flags, version: version, isFromClient: self.peerIsClient)
            )
        case .puback:
            return .puback(try AckPacket(decoding: &body, type: type, version: version))
        case .pubrec:
            return .pubrec(try AckPacket(decoding: &body, type: type, version: version))
        case .pubrel:
            return .pubrel(try AckPacket(decoding: &body, type: type, version: version))
        case .pubcomp:
            return .pubcomp(try AckPacket(decoding: &body, type: type, version: version))
        case .subscribe:
            return .subscribe(try SubscribePacket(decoding: &body, version: version))
        case .suback:
            return .suback(try SubAckPacket(decoding: &body, version: version))
        case .unsubscribe:
            return .unsubscribe(try UnsubscribePacket(decoding: &body, version: version))
        case .unsuback:
            return .unsuback(try UnsubAckPacket(decoding: &body, version: version))
        case .pingreq:
            return .pingreq  // a non-empty body is refused by the caller [MQTT-3.12.1] (no fields)
        case .pingresp:
            return .pingresp
        case .disconnect:
            return .disconnect(try DisconnectPacket(decoding: &body, version: version))
        case .auth:
            return .auth(try AuthPacket(decoding: &body))
        }
    }
}
