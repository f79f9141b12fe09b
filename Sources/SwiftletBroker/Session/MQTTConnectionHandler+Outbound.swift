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
import Logging
import NIOCore
import SwiftletMQTT

extension MQTTConnectionHandler: ClientConnection {
    package var isWritable: Bool { context != nil && flow.isWritable }

    /// Shared encodings carry no topic alias: a client that takes aliases gets its own bytes.
    /// Nor does a cloud subscriber: its deliveries carry per-publisher annotations.
    package var acceptsSharedPublishes: Bool { clientTopicAliasMaximum == 0 && !speaksCloudProperties }

    package var maximumPacketSize: Int { clientMaximumPacketSize }

    package func writeShared(_ bytes: ByteBuffer) {
        guard let context else { return }
        write(bytes, context: context)
        needsFlush = true
    }

    /// Writes `bytes` behind the replies gathered so far, which go first to keep the order.
    func write(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        if let pending = replies {
            replies = nil
            context.write(wrapOutboundOut(pending), promise: nil)
        }
        context.write(wrapOutboundOut(bytes), promise: nil)
    }

    /// The client's Receive Maximum, capped by the broker's own window: sending fewer than a
    /// client allows is always allowed, and it bounds what one session holds in flight.
    package var sendWindow: Int { min(clientReceiveMaximum, broker.configuration.maxInflight) }

    package func writePublish(
        _ message: RoutedMessage,
        qos: QoS,
        retain: Bool,
        subscriptionIdentifiers: [UInt32],
        packetID: UInt16?,
        dup: Bool,
        now: NIODeadline,
        cache: inout PublishEncodingCache
    ) -> Bool {
        guard let context else { return true }
        if speaksCloudProperties {
            // Backends get the publisher's client ID and flags as user properties (DESIGN §7).
            return writeCloudPublish(
                message, qos: qos, retain: retain, subscriptionIdentifiers: subscriptionIdentifiers,
                packetID: packetID, dup: dup, now: now, context: context)
        }
        let lifetime = message.remainingLifetime(now: now)

        // Encode once (DESIGN §4.4): a message without per-subscriber properties has the same
        // bytes for every subscriber of the same protocol family, at QoS 1 and 2 too when the
        // session took the message's shared packet identifier. A redelivery (DUP) is per session.
        if subscriptionIdentifiers.isEmpty, clientTopicAliasMaximum == 0, !dup,
            qos == .atMostOnce || (packetID != nil && packetID == cache.sharedPacketID)
        {
            let isMQTT5 = protocolVersion == .v5
            let key = PublishEncodingCache.Key(
                isMQTT5: isMQTT5, retain: retain, lifetime: lifetime, qos: qos, packetID: packetID ?? 0)
            let bytes = cache.bytes(for: key) {
                encodePublish(
                    message, topic: message.topic, qos: qos, retain: retain, packetID: packetID, dup: false,
                    properties: isMQTT5 ? message.forwardedProperties(lifetime: lifetime) : [],
                    allocator: context.channel.allocator)
            }
            guard bytes.readableBytes <= clientMaximumPacketSize else { return false }
            write(bytes, context: context)
            needsFlush = true
            return true
        }

        var topic = message.topic
        var properties: Properties = []
        var newAlias: UInt16? = nil
        if protocolVersion == .v5 {
            properties = message.forwardedProperties(lifetime: lifetime, subscriptionIdentifiers: subscriptionIdentifiers)
            if clientTopicAliasMaximum > 0 {
                // Aliases the server chooses towards the client (MQTT 5 §3.3.2.3.4): the first
                // message of a topic carries topic and alias, later ones the alias alone.
                if let alias = outboundAliases[topic] {
                    properties.append(.topicAlias(alias))
                    topic = ""
                } else if outboundAliases.count < Int(clientTopicAliasMaximum) {
                    let alias = UInt16(outboundAliases.count + 1)
                    properties.append(.topicAlias(alias))
                    newAlias = alias
                }
            }
        }
        let packet = PublishPacket(
            topic: topic, payload: message.payload, qos: qos, retain: retain,
            dup: dup, packetID: packetID, properties: properties)
        let size = MQTTPacketEncoder.encodedSize(.publish(packet), version: protocolVersion)
        // Never send a packet larger than the client's Maximum Packet Size [MQTT-3.1.2-24].
        guard size <= clientMaximumPacketSize else { return false }
        if let newAlias { outboundAliases[message.topic] = newAlias }
        let payload = message.payload
        if payload.readableBytes >= Self.sharedPayloadThreshold {
            // Per-subscriber header, shared payload: the two buffers leave in one writev and the
            // payload is never copied per subscriber (DESIGN §4.4, STYLE §8.5).
            var header = context.channel.allocator.buffer(capacity: size - payload.readableBytes)
            MQTTPacketEncoder.encodePublishHeader(
                topic: topic, payloadLength: payload.readableBytes, qos: qos, retain: retain,
                dup: dup, packetID: packetID, properties: properties, version: protocolVersion, into: &header)
            write(header, context: context)
            context.write(wrapOutboundOut(payload), promise: nil)
        } else {
            var buffer = context.channel.allocator.buffer(capacity: size)
            MQTTPacketEncoder.encode(.publish(packet), version: protocolVersion, into: &buffer)
            write(buffer, context: context)
        }
        needsFlush = true
        return true
    }

    /// From this payload size on, a per-subscriber PUBLISH is written as header + shared payload;
    /// below it one small copy is cheaper than an extra iovec.
    static let sharedPayloadThreshold = 512

    private func encodePublish(
        _ message: RoutedMessage, topic: String, qos: QoS, retain: Bool, packetID: UInt16?, dup: Bool,
        properties: Properties, allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        let packet = MQTTPacket.publish(
            PublishPacket(
                topic: topic, payload: message.payload, qos: qos, retain: retain,
                dup: dup, packetID: packetID, properties: properties))
        var buffer = allocator.buffer(capacity: MQTTPacketEncoder.encodedSize(packet, version: protocolVersion))
        MQTTPacketEncoder.encode(packet, version: protocolVersion, into: &buffer)
        return buffer
    }

    package func writePacket(_ packet: MQTTPacket) {
        guard let context else { return }
        var packet = packet
        var size = MQTTPacketEncoder.encodedSize(packet, version: protocolVersion)
        if size > clientMaximumPacketSize {
            // Reason strings and user properties go first [MQTT-3.1.2-25]; what still does not
            // fit is not sent.
            packet = Self.strippingDiagnostics(packet)
            size = MQTTPacketEncoder.encodedSize(packet, version: protocolVersion)
            guard size <= clientMaximumPacketSize else { return }
        }
        // Gathered with the other replies of this turn (see `replies`), written at the next flush.
        if replies == nil {
            replies = context.channel.allocator.buffer(capacity: max(size, Self.repliesInitialCapacity))
        }
        MQTTPacketEncoder.encode(packet, version: protocolVersion, into: &replies!)
        needsFlush = true
    }

    /// Room for a turn of small replies (a PUBACK is 4 bytes, a PINGRESP 2) without regrowing.
    static let repliesInitialCapacity = 256

    private static func strippingDiagnostics(_ packet: MQTTPacket) -> MQTTPacket {
        func strip(_ properties: Properties) -> Properties {
            Properties(properties.list.filter {
                switch $0 {
                case .reasonString, .userProperty: false
                default: true
                }
            })
        }
        switch packet {
        case .puback(var ack): ack.properties = strip(ack.properties); return .puback(ack)
        case .pubrec(var ack): ack.properties = strip(ack.properties); return .pubrec(ack)
        case .pubrel(var ack): ack.properties = strip(ack.properties); return .pubrel(ack)
        case .pubcomp(var ack): ack.properties = strip(ack.properties); return .pubcomp(ack)
        case .suback(var ack): ack.properties = strip(ack.properties); return .suback(ack)
        case .unsuback(var ack): ack.properties = strip(ack.properties); return .unsuback(ack)
        case .disconnect(var disconnect): disconnect.properties = strip(disconnect.properties); return .disconnect(disconnect)
        case .connack(var connack): connack.properties = strip(connack.properties); return .connack(connack)
        default: return packet
        }
    }

    package func flushIfNeeded() {
        guard needsFlush, let context else { return }
        needsFlush = false
        if let pending = replies {
            replies = nil
            context.write(wrapOutboundOut(pending), promise: nil)
        }
        context.flush()
    }

    package func sessionTakenOver() {
        logger.info("session taken over by a new connection, closing")
        // MQTT 5 clients learn why [MQTT-3.1.4-3]; 3.1.1 clients are just disconnected.
        disconnect(reason: .sessionTakenOver, reasonString: "session taken over")
        session = nil
    }
}
