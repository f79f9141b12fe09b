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

// The PUBLISH writers, apart because fan-out calls them directly (DESIGN §4.4): once per message
// and protocol version for the shared bytes, or once per subscriber for a small header written in
// front of a shared payload.

extension MQTTPacketEncoder {
    /// Appends a PUBLISH built from its parts, without building a ``PublishPacket`` first.
    ///
    /// The payload is copied once, into `buffer`, with `writeImmutableBuffer`.
    ///
    /// - Parameters:
    ///   - topic: The topic name; may be empty in MQTT 5 when `properties` holds a topic alias.
    ///   - payload: The application message; its readable bytes are written.
    ///   - packetID: Required for QoS 1 and 2, ignored for QoS 0.
    ///   - properties: Written in MQTT 5 only.
    package static func encodePublish(
        topic: String,
        payload: ByteBuffer,
        qos: QoS,
        retain: Bool,
        dup: Bool,
        packetID: UInt16?,
        properties: Properties,
        version: ProtocolVersion,
        into buffer: inout ByteBuffer
    ) {
        Self.encodePublishHeader(
            topic: topic,
            payloadLength: payload.readableBytes,
            qos: qos,
            retain: retain,
            dup: dup,
            packetID: packetID,
            properties: properties,
            version: version,
            into: &buffer
        )
        buffer.writeImmutableBuffer(payload)
    }

    /// Appends everything of a PUBLISH but its payload: the fixed header (whose remaining length
    /// counts `payloadLength` payload bytes), the topic name, the packet identifier and the
    /// properties.
    ///
    /// This is the per-subscriber part of a fan-out: write these few bytes into a small buffer and
    /// the shared payload buffer right after it on the same channel, so the payload is never
    /// copied per subscriber (DESIGN §4.4, STYLE §2.4).
    package static func encodePublishHeader(
        topic: String,
        payloadLength: Int,
        qos: QoS,
        retain: Bool,
        dup: Bool,
        packetID: UInt16?,
        properties: Properties,
        version: ProtocolVersion,
        into buffer: inout ByteBuffer
    ) {
        let propertiesLength = version == .v5 ? properties.encodedLength : nil
        let bodyLength = Self.publishBodyLength(
            topic: topic,
            payloadLength: payloadLength,
            qos: qos,
            propertiesFieldLength: propertiesLength.map { MQTTWire.variableByteIntegerSize($0) + $0 } ?? 0
        )
        Self.writePublishHeader(
            topic: topic,
            bodyLength: bodyLength,
            qos: qos,
            retain: retain,
            dup: dup,
            packetID: packetID,
            properties: properties,
            propertiesLength: propertiesLength,
            into: &buffer
        )
    }

    /// The remaining length of a PUBLISH.
    static func publishBodyLength(topic: String, payloadLength: Int, qos: QoS, propertiesFieldLength: Int) -> Int {
        MQTTWire.stringSize(topic) + (qos == .atMostOnce ? 0 : 2) + propertiesFieldLength + payloadLength
    }

    /// - Parameter propertiesLength: The length of `properties` without its prefix, or `nil` to
    ///   write no property field at all (3.1, 3.1.1).
    private static func writePublishHeader(
        topic: String,
        bodyLength: Int,
        qos: QoS,
        retain: Bool,
        dup: Bool,
        packetID: UInt16?,
        properties: Properties,
        propertiesLength: Int?,
        into buffer: inout ByteBuffer
    ) {
        // [MQTT-3.3.1-2] DUP is 0 for QoS 0, whatever the caller passed (a re-sent QoS 0
        // message is a new message).
        let flags = PublishFlags.make(qos: qos, retain: retain, dup: dup && qos != .atMostOnce)
        buffer.writeMQTTFixedHeader(type: .publish, flags: flags, remainingLength: bodyLength)
        buffer.writeMQTTString(topic)
        if qos != .atMostOnce {
            // [MQTT-2.2.1-2] [MQTT-2.2.1-3]
            guard let packetID, packetID != 0 else {
                preconditionFailure("a QoS \(qos.rawValue) PUBLISH needs a non-zero packet identifier")
            }
            buffer.writeInteger(packetID)
        }
        if let propertiesLength {
            properties.write(propertiesLength: propertiesLength, to: &buffer)
        }
    }
}
