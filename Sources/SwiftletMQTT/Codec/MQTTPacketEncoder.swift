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

/// Writes ``MQTTPacket`` values in the wire format of a protocol version.
///
/// The encoder computes the remaining length first and writes the fixed header and the rest in one
/// pass into the caller's buffer: no intermediate buffer, one capacity reservation.
///
/// Fields a version lacks are left out: 3.1 and 3.1.1 get no properties and no reason codes
/// (CONNACK maps its reason code with ``ConnectReturnCode/init(reasonCode:)``, SUBACK writes every
/// failure as 0x80, UNSUBACK has no payload, DISCONNECT is `E0 00`). MQTT 5 packets use the short
/// forms the specification allows: an acknowledgement with reason code 0x00 and no properties has
/// a remaining length of 2, a DISCONNECT or AUTH with 0x00 and no properties a remaining length of 0.
///
/// The encoder writes what it is given: it does not check that properties belong on the packet or
/// that limits the peer announced are kept. That is the sender's state machine's job.
///
/// > Warning: Strings and binary fields longer than 65,535 bytes, a remaining length above
/// > 268,435,455 bytes, or a QoS 1 or 2 PUBLISH without a packet identifier cannot be encoded and
/// > stop the process. Everything the decoder produces is within these bounds.
package enum MQTTPacketEncoder {
    /// Appends the packet to `buffer`.
    ///
    /// - Parameters:
    ///   - packet: The packet. A CONNECT is written in its own ``ConnectPacket/version``.
    ///   - version: The protocol version of the connection.
    ///   - buffer: Where the bytes go; only written to, never read or reset.
    package static func encode(_ packet: MQTTPacket, version: ProtocolVersion, into buffer: inout ByteBuffer) {
        if case .publish(let publish) = packet {
            Self.encodePublish(
                topic: publish.topic,
                payload: publish.payload,
                qos: publish.qos,
                retain: publish.retain,
                dup: publish.dup,
                packetID: publish.packetID,
                properties: publish.properties,
                version: version,
                into: &buffer
            )
            return
        }
        if case .auth = packet, version < .v5 {
            assertionFailure("AUTH does not exist in MQTT \(version)")
            return
        }

        let bodyLength = Self.bodyLength(of: packet, version: version)
        buffer.reserveCapacity(minimumWritableBytes: 1 + MQTTWire.variableByteIntegerSize(bodyLength) + bodyLength)
        buffer.writeMQTTFixedHeader(type: packet.type, flags: packet.fixedHeaderFlags, remainingLength: bodyLength)
        switch packet {
        case .connect(let connect): connect.writeBody(into: &buffer)
        case .connack(let connack): connack.writeBody(version: version, into: &buffer)
        case .publish: preconditionFailure("PUBLISH is written by encodePublish")
        case .puback(let ack), .pubrec(let ack), .pubrel(let ack), .pubcomp(let ack):
            ack.writeBody(version: version, into: &buffer)
        case .subscribe(let subscribe): subscribe.writeBody(version: version, into: &buffer)
        case .suback(let suback): suback.writeBody(version: version, into: &buffer)
        case .unsubscribe(let unsubscribe): unsubscribe.writeBody(version: version, into: &buffer)
        case .unsuback(let unsuback): unsuback.writeBody(version: version, into: &buffer)
        case .pingreq, .pingresp: break
        case .disconnect(let disconnect): disconnect.writeBody(version: version, into: &buffer)
        case .auth(let auth): auth.writeBody(into: &buffer)
        }
    }

    /// The exact number of bytes ``encode(_:version:into:)`` writes for `packet`, fixed header
    /// included: what a peer's maximum packet size is compared with (MQTT 5 §3.1.2.11.4).
    package static func encodedSize(_ packet: MQTTPacket, version: ProtocolVersion) -> Int {
        if case .auth = packet, version < .v5 { return 0 }
        let bodyLength = Self.bodyLength(of: packet, version: version)
        return 1 + MQTTWire.variableByteIntegerSize(bodyLength) + bodyLength
    }

    /// The remaining length: everything after the fixed header.
    private static func bodyLength(of packet: MQTTPacket, version: ProtocolVersion) -> Int {
        switch packet {
        case .connect(let connect): connect.encodedBodyLength
        case .connack(let connack): connack.encodedBodyLength(version: version)
        case .publish(let publish):
            Self.publishBodyLength(
                topic: publish.topic,
                payloadLength: publish.payload.readableBytes,
                qos: publish.qos,
                propertiesFieldLength: version == .v5 ? publish.properties.encodedFieldLength : 0
            )
        case .puback(let ack), .pubrec(let ack), .pubrel(let ack), .pubcomp(let ack):
            ack.encodedBodyLength(version: version)
        case .subscribe(let subscribe): subscribe.encodedBodyLength(version: version)
        case .suback(let suback): suback.encodedBodyLength(version: version)
        case .unsubscribe(let unsubscribe): unsubscribe.encodedBodyLength(version: version)
        case .unsuback(let unsuback): unsuback.encodedBodyLength(version: version)
        case .pingreq, .pingresp: 0
        case .disconnect(let disconnect): disconnect.encodedBodyLength(version: version)
        case .auth(let auth): auth.encodedBodyLength
        }
    }
}

extension MQTTPacket {
    /// The low nibble of the fixed header [MQTT-2.1.3-1].
    var fixedHeaderFlags: UInt8 {
        switch self {
        case .publish(let publish):
            PublishFlags.make(qos: publish.qos, retain: publish.retain, dup: publish.dup)
        case .pubrel, .subscribe, .unsubscribe:
            0b0010
        default:
            0
        }
    }
}

extension ByteBuffer {
    /// Writes the fixed header: packet type and flags, then the remaining length (MQTT 5 §2.1).
    mutating func writeMQTTFixedHeader(type: PacketType, flags: UInt8, remainingLength: Int) {
        self.writeInteger(type.rawValue << 4 | flags)
        self.writeMQTTVariableByteInteger(remainingLength)
    }
}
