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

// PUBLISH: MQTT 5 §3.3, MQTT 3.1.1 §3.3.
//
// Fixed header flags: DUP (bit 3), QoS (bits 2-1), RETAIN (bit 0); checked with the fixed header.
// Variable header: topic name, packet identifier (QoS 1 and 2 only), properties (5.0).
// Payload: everything else, possibly nothing. Encoding lives in `MQTTPacketEncoder+Publish.swift`.

/// The PUBLISH fixed header flags.
enum PublishFlags {
    static let retain: UInt8 = 0x01
    static let qosShift: UInt8 = 1
    static let qosMask: UInt8 = 0x06
    static let dup: UInt8 = 0x08

    static func make(qos: QoS, retain: Bool, dup: Bool) -> UInt8 {
        var flags = qos.rawValue << Self.qosShift
        if retain { flags |= Self.retain }
        if dup { flags |= Self.dup }
        return flags
    }
}

extension PublishPacket {
    /// Reads a PUBLISH body whose fixed header flags were already validated.
    ///
    /// - Parameters:
    ///   - flags: The low nibble of the fixed header.
    ///   - isFromClient: Whether the sender is known to be a client, which may not send
    ///     subscription identifiers [MQTT-3.3.4-6].
    init(
        decoding body: inout ByteBuffer,
        flags: UInt8,
        version: ProtocolVersion,
        isFromClient: Bool
    ) throws(MQTTDecodeError) {
        guard let qos = QoS(rawValue: (flags & PublishFlags.qosMask) >> PublishFlags.qosShift) else {
            throw .malformed("PUBLISH QoS 3")  // [MQTT-3.3.1-4]
        }

        let topic = try body.readMQTTString("topic name")
        // [MQTT-3.3.2-2] [MQTT-4.7.1-1]
        guard !Topic.hasWildcard(topic) else { throw .topicNameInvalid("PUBLISH topic name holds a wildcard") }
        if topic.isEmpty, version < .v5 {
            throw .topicNameInvalid("PUBLISH topic name is empty")  // [MQTT-4.7.3-1]
        }

        var packetID: UInt16? = nil
        if qos != .atMostOnce {
            let id = try body.readMQTTUInt16("packet identifier")
            // [MQTT-2.2.1-3] (5.0) [MQTT-2.3.1-1] (3.1.1)
            guard id != 0 else { throw .protocolError("PUBLISH QoS \(qos.rawValue) with packet identifier 0") }
            packetID = id
        }

        var properties = Properties()
        if version == .v5 {
            properties = try Properties.decode(from: &body, owner: .publish)
            if topic.isEmpty, properties.topicAlias == nil {
                // [MQTT-3.3.2-1] MQTT 5 §3.3.2.1: a zero-length topic name needs a topic alias.
                throw .protocolError("PUBLISH has neither a topic name nor a topic alias")
            }
            if isFromClient, !properties.subscriptionIdentifiers.isEmpty {
                throw .protocolError("PUBLISH from a client carries a subscription identifier")  // [MQTT-3.3.4-6]
            }
        }

        // The payload is the rest of the body (MQTT 5 §3.3.3), as a slice: no copy.
        guard let payload = body.readSlice(length: body.readableBytes) else { throw .truncated("payload") }
        self.init(
            topic: topic,
            payload: payload,
            qos: qos,
            retain: flags & PublishFlags.retain != 0,
            dup: flags & PublishFlags.dup != 0,
            packetID: packetID,
            properties: properties
        )
    }
}
