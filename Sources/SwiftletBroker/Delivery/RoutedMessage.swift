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
import SwiftletMQTT

/// An application message on its way from a publisher to subscribers.
///
/// It holds only what every subscriber shares: per-subscriber details (packet identifier, granted
/// QoS, subscription identifiers, topic alias, the remaining expiry) are added when the message is
/// encoded for one connection. Copying it copies references, not the payload.
package struct RoutedMessage: Sendable {
    package var topic: String
    package var payload: ByteBuffer
    package var qos: QoS
    package var retain: Bool
    /// Properties forwarded unaltered to subscribers [MQTT-3.3.2-15..20]: payload format
    /// indicator, content type, response topic, correlation data and user properties. Topic alias,
    /// subscription identifiers and message expiry are not stored here.
    package var properties: Properties
    /// When the message expires (MQTT 5 Message Expiry Interval), if it does.
    package var expiry: NIODeadline?
    /// The client ID of the publisher, for no-local and logging; nil for broker-made messages.
    package var publisherClientID: String?
    /// The room the message was published into, when a room policy governs its topic: drops on
    /// the way to slow subscribers are counted there too (DESIGN §4.6).
    package var room: RoomCounters?
    /// The publisher's Clean Start flag, for the `cleansessionflag` annotation cloud subscribers get (DESIGN §7).
    package var publisherCleanStart = false
    /// The client a cloud publisher addressed with `mqttRealTopic` on a p2p topic: the message goes to it alone, and
    /// `topic` is the real topic it sees instead of the p2p topic (DESIGN §7). nil otherwise.
    package var p2pTargetClientID: String?

    package init(
        topic: String,
        payload: ByteBuffer,
        qos: QoS,
        retain: Bool,
        properties: Properties = [],
        expiry: NIODeadline? = nil,
        publisherClientID: String? = nil
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.properties = properties
        self.expiry = expiry
        self.publisherClientID = publisherClientID
    }

    /// Builds the message from a received PUBLISH whose topic alias has already been resolved.
    package init(publish: PublishPacket, receivedAt now: NIODeadline, publisherClientID: String?) {
        var forwarded = publish.properties
        var expiry: NIODeadline? = nil
        if let seconds = forwarded.messageExpiryInterval {
            expiry = now + .seconds(Int64(seconds))
        }
        // Topic alias and subscription identifiers are per connection [MQTT-3.3.2-7] [MQTT-3.3.4-6];
        // the expiry is rewritten per delivery with the time remaining [MQTT-3.3.2-6].
        forwarded.list.removeAll {
            switch $0 {
            case .topicAlias, .subscriptionIdentifier, .messageExpiryInterval: true
            default: false
            }
        }
        self.init(
            topic: publish.topic,
            payload: publish.payload,
            qos: publish.qos,
            retain: publish.retain,
            properties: forwarded,
            expiry: expiry,
            publisherClientID: publisherClientID
        )
    }

    /// Seconds of life left, rounded down, or nil if the message does not expire. Zero or less
    /// means expired: such a message is not sent [MQTT-3.3.2-5].
    package func remainingLifetime(now: NIODeadline) -> Int64? {
        guard let expiry else { return nil }
        return (expiry - now).nanoseconds / 1_000_000_000
    }

    /// What holding this message in a session's queue or in-flight window is counted as, in bytes
    /// (`max-queued-bytes`, `max-queued-bytes-total`): topic, properties and payload as they are
    /// stored, plus ``entryOverhead`` for the entry itself. Each session that holds the message
    /// counts it in full, although the payload is shared, so the limits are upper bounds.
    package var byteCost: Int {
        let properties = properties.isEmpty ? 0 : properties.encodedLength
        return payload.readableBytes + topic.utf8.count + properties + Self.entryOverhead
    }

    /// The queue entry, the message's references and its topic's storage, roughly: so that a flood
    /// of empty messages is not free.
    package static let entryOverhead = 96

    package func isExpired(now: NIODeadline) -> Bool {
        guard let expiry else { return false }
        return expiry <= now
    }
}
