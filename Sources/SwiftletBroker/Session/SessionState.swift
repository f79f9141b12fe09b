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
import DequeModule
import NIOCore
import SwiftletMQTT

/// A QoS 1 or 2 message on its way to the client.
package struct OutboundDelivery: Sendable {
    package var message: RoutedMessage
    /// Granted QoS: the lower of the published and the subscribed QoS [MQTT-3.8.4-8].
    package var qos: QoS
    /// The RETAIN flag to send (retain-as-published, or 1 for retained messages on subscribe).
    package var retain: Bool
    package var subscriptionIdentifiers: [UInt32]
    /// The shared subscription (`$share/{ShareName}/{filter}`) the message came through, if any: if this session
    /// ends before acknowledging it, it goes to another member of that group (MQTT 5 §4.8.2).
    package var sharedSubscription: String? = nil
}

/// Where an outbound QoS 1/2 message stands in its acknowledgement flow (MQTT 5 §4.3).
package enum InflightPhase: Sendable, Hashable {
    /// PUBLISH sent, waiting for PUBACK (QoS 1) or PUBREC (QoS 2).
    case awaitingAcknowledgement
    /// PUBREL sent, waiting for PUBCOMP (QoS 2).
    case awaitingCompletion
}

/// The part of a session that outlives a network connection (MQTT 5 §4.1): subscriptions,
/// unacknowledged and queued QoS 1/2 messages, and received QoS 2 packet identifiers.
///
/// A plain value: it is owned by one SessionHandle on one event loop, and moved whole to
/// another loop when a client reconnects there.
package struct SessionState: Sendable {
    /// Filter as the client sent it (shared subscriptions keep their `$share/` prefix) → options.
    package var subscriptions: [String: SubscriptionOptions] = [:]
    /// Outbound messages sent and not yet fully acknowledged, in the order they were sent.
    package private(set) var inflight = InflightWindow()
    /// Messages waiting for a free slot in the client's receive window or for the client to
    /// come back online.
    package private(set) var queue: Deque<OutboundDelivery> = []
    /// What `queue` holds, in ``RoutedMessage/byteCost``.
    package private(set) var queuedBytes = 0
    /// What `inflight` holds, in ``RoutedMessage/byteCost``.
    package private(set) var inflightBytes = 0
    /// QoS 2 messages received and routed, whose PUBREL has not arrived yet [MQTT-4.3.3-10].
    package var inboundQoS2: Set<UInt16> = []
    /// Session Expiry Interval in seconds; UInt32.max never expires (MQTT 5 §3.1.2.11.2).
    package var expiryInterval: UInt32 = 0
    private var lastPacketID: UInt16 = 0

    package init() {}

    package var inflightCount: Int { inflight.count }

    /// A free packet identifier: `preferred` if this session has it free, otherwise the next free
    /// one; nil if all 65,535 are in use.
    ///
    /// The subscribers of one message on one loop are offered the identifier the first of them
    /// took (``PublishEncodingCache/sharedPacketID``): identifiers only have to be unused within
    /// the session [MQTT-2.2.1-3], and subscribers that share one get the same PUBLISH bytes.
    package mutating func allocatePacketID(preferring preferred: UInt16? = nil) -> UInt16? {
        if let preferred, preferred != 0, !inflight.contains(preferred) { return preferred }
        // Identifiers are reused only once released [MQTT-2.2.1-3]; the inflight window keeps
        // far fewer than 65,535 in use, so this scan ends after a step or two.
        for _ in 0..<Int(UInt16.max) {
            lastPacketID = lastPacketID == UInt16.max ? 1 : lastPacketID + 1
            if !inflight.contains(lastPacketID) { return lastPacketID }
        }
        return nil
    }

    /// Bytes the session holds for its client: queued and in flight (`max-queued-bytes`).
    package var heldBytes: Int { queuedBytes + inflightBytes }

    package mutating func addInflight(_ delivery: consuming OutboundDelivery, packetID: UInt16) {
        let byteCost = delivery.message.byteCost
        inflightBytes += byteCost
        inflight.append(delivery, packetID: packetID, byteCost: byteCost)
    }

    // MARK: Queue

    package mutating func enqueue(_ delivery: OutboundDelivery) {
        queue.append(delivery)
        queuedBytes += delivery.message.byteCost
    }

    /// Takes the oldest queued message: the next to send, or the first to go when the broker's
    /// queue budget is full.
    package mutating func dequeue() -> OutboundDelivery? {
        guard let first = queue.popFirst() else { return nil }
        queuedBytes -= first.message.byteCost
        return first
    }

    /// Empties the queue; returns its bytes.
    package mutating func removeAllQueued() -> Int {
        defer {
            queue.removeAll()
            queuedBytes = 0
        }
        return queuedBytes
    }

    package func inflightPhase(_ packetID: UInt16) -> InflightPhase? {
        inflight.status(of: packetID)?.phase
    }

    /// Phase and QoS of an in-flight message, without copying it.
    package func inflightStatus(_ packetID: UInt16) -> (phase: InflightPhase, qos: QoS)? {
        inflight.status(of: packetID)
    }

    package mutating func setPhase(_ phase: InflightPhase, packetID: UInt16) {
        inflight.setPhase(phase, packetID: packetID)
    }

    /// Removes a completed message; returns whether it was inflight.
    @discardableResult
    package mutating func completeInflight(_ packetID: UInt16) -> Bool {
        guard let byteCost = inflight.remove(packetID) else { return false }
        inflightBytes -= byteCost
        return true
    }

    /// Appends what `other` holds behind what this state holds: used when a session's state
    /// arrives from another loop after messages were already queued here for it.
    package mutating func absorb(queuedFrom other: SessionState) {
        queue.append(contentsOf: other.queue)
        queuedBytes += other.queuedBytes
    }
}
