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

/// The messages of one room's batch window on their way to the subscribers' loops.
struct RoomDelivery: Sendable {
    var topic: String
    var messages: [RoutedMessage]
    var room: RoomCounters
}

/// One batch window as the bytes every QoS 0 subscriber of a loop shares: all of its PUBLISH
/// packets back to back in one buffer, encoded once per protocol family and retain flavour, so
/// a window costs one write per subscriber — one WebSocket message, compressed once per loop
/// (DESIGN §4.4, §4.5).
///
/// Confined to the loop that delivers the window.
package struct SharedPublishBatch {
    package struct Encoded {
        package var bytes: ByteBuffer
        /// PUBLISH packets in `bytes` (expired messages are left out).
        package var count: Int
        /// The largest packet, to check against each client's Maximum Packet Size [MQTT-3.1.2-24].
        package var largestPacket: Int
    }

    private struct Key: Equatable {
        var isMQTT5: Bool
        var retainAsPublished: Bool
    }

    let topic: String
    let messages: [RoutedMessage]
    let room: RoomCounters?
    let now: NIODeadline
    /// Whether every message is QoS 0, so that every subscriber takes the window unchanged.
    let isAllQoS0: Bool
    private let publishers: Set<String>
    private var encodings: [(key: Key, encoded: Encoded)] = []

    init(_ delivery: RoomDelivery, now: NIODeadline) {
        self.topic = delivery.topic
        self.messages = delivery.messages
        self.room = delivery.room
        self.now = now
        self.isAllQoS0 = delivery.messages.allSatisfy { $0.qos == .atMostOnce }
        self.publishers = Set(delivery.messages.lazy.compactMap(\.publisherClientID))
    }

    /// Whether a message of the window was published by `clientID` (for no-local).
    func hasMessage(from clientID: String) -> Bool { publishers.contains(clientID) }

    /// The window's packets for one kind of subscriber, encoded the first time it is asked for.
    mutating func encoded(isMQTT5: Bool, retainAsPublished: Bool) -> Encoded {
        let key = Key(isMQTT5: isMQTT5, retainAsPublished: retainAsPublished)
        for entry in encodings where entry.key == key { return entry.encoded }
        let encoded = encode(key)
        encodings.append((key, encoded))
        return encoded
    }

    private func encode(_ key: Key) -> Encoded {
        let version: ProtocolVersion = key.isMQTT5 ? .v5 : .v3_1_1
        var packets: [MQTTPacket] = []
        packets.reserveCapacity(messages.count)
        var total = 0
        var largest = 0
        for message in messages {
            // An expired message is not sent [MQTT-3.3.2-5].
            guard !message.isExpired(now: now) else { continue }
            let properties = key.isMQTT5 ? message.forwardedProperties(lifetime: message.remainingLifetime(now: now)) : []
            let packet = MQTTPacket.publish(
                PublishPacket(
                    topic: message.topic, payload: message.payload, qos: .atMostOnce,
                    // Retain-as-published, else 0 on a normal delivery [MQTT-3.3.1-12] [MQTT-3.3.1-13].
                    retain: key.retainAsPublished && message.retain, properties: properties))
            let size = MQTTPacketEncoder.encodedSize(packet, version: version)
            total += size
            largest = max(largest, size)
            packets.append(packet)
        }
        var bytes = ByteBufferAllocator().buffer(capacity: total)
        for packet in packets { MQTTPacketEncoder.encode(packet, version: version, into: &bytes) }
        return Encoded(bytes: bytes, count: packets.count, largestPacket: largest)
    }
}

extension RoutedMessage {
    /// The properties a subscriber receives: the forwarded ones, the remaining expiry
    /// [MQTT-3.3.2-6] and the matching subscription identifiers [MQTT-3.3.4-3].
    package func forwardedProperties(lifetime: Int64?, subscriptionIdentifiers: [UInt32] = []) -> Properties {
        var properties = self.properties
        if let lifetime {
            properties.append(.messageExpiryInterval(UInt32(clamping: max(lifetime, 1))))
        }
        for identifier in subscriptionIdentifiers {
            properties.append(.subscriptionIdentifier(identifier))
        }
        return properties
    }
}
