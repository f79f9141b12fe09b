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

/// What a session needs from the network connection it is attached to. The broker knows nothing
/// of sockets or transports (DESIGN §3); TCP, TLS and WebSocket connections all reach it through
/// this protocol. Every requirement is called on the connection's event loop only.
package protocol ClientConnection: AnyObject {
    var protocolVersion: ProtocolVersion { get }
    /// False while the transport's outbound buffer is above its high-water mark (DESIGN §4.6).
    var isWritable: Bool { get }
    /// The client's Receive Maximum: QoS 1/2 messages it accepts unacknowledged.
    var sendWindow: Int { get }

    /// Writes one PUBLISH; does not flush. Returns false if the packet was not written because it
    /// exceeds the client's Maximum Packet Size [MQTT-3.1.2-24]. Takes the message's parts rather
    /// than an ``OutboundDelivery`` so that the QoS 0 path copies nothing per subscriber.
    func writePublish(
        _ message: RoutedMessage,
        qos: QoS,
        retain: Bool,
        subscriptionIdentifiers: [UInt32],
        packetID: UInt16?,
        dup: Bool,
        now: NIODeadline,
        cache: inout PublishEncodingCache
    ) -> Bool
    /// Whether this connection takes PUBLISH bytes shared with other subscribers (it uses no
    /// per-subscriber encoding such as outbound topic aliases).
    var acceptsSharedPublishes: Bool { get }
    /// The client's Maximum Packet Size (MQTT 5 §3.1.2.11.4); `Int.max` when it stated none.
    var maximumPacketSize: Int { get }
    /// Writes bytes holding whole PUBLISH packets encoded for this connection's protocol family
    /// and shared with other subscribers; does not flush.
    func writeShared(_ bytes: ByteBuffer)
    /// Writes a control packet; does not flush.
    func writePacket(_ packet: MQTTPacket)
    /// Flushes what was written since the last flush, once.
    func flushIfNeeded()
    /// The session moved to a newer connection of the same client: say so (0x8E) and close.
    func sessionTakenOver()
    /// The broker is shutting down or the session was ended: send DISCONNECT where the version
    /// has it, then close.
    func disconnect(reason: ReasonCode, reasonString: String?)
    /// Who is connected and how (client ID, user name, address, transport, version, keep-alive,
    /// clean start, time of CONNACK): the connection's connect status event, for the admin API.
    /// nil until the client was accepted.
    var connectInfo: StatusEvent? { get }
    /// The transport of the accepted connection (`tcp`, `tls`, `ws`, `wss`); nil until the client
    /// was accepted, exactly when ``connectInfo`` is nil.
    var acceptedTransport: String? { get }

    /// A token was revoked (DESIGN §6): a connection that uses it says so (0x87) and closes.
    func tokenRevoked(_ key: RevokedTokenKey)
}

extension ClientConnection {
    /// Writes a queued or in-flight delivery; see ``writePublish(_:qos:retain:subscriptionIdentifiers:packetID:dup:now:cache:)``.
    func writePublish(
        _ delivery: OutboundDelivery, packetID: UInt16?, dup: Bool, now: NIODeadline, cache: inout PublishEncodingCache
    ) -> Bool {
        writePublish(
            delivery.message, qos: delivery.qos, retain: delivery.retain,
            subscriptionIdentifiers: delivery.subscriptionIdentifiers, packetID: packetID, dup: dup, now: now,
            cache: &cache)
    }
}

/// The encoded bytes of one message, shared by every subscriber that takes them unchanged
/// (DESIGN §4.4): no subscription identifier, no topic alias, not a redelivery. 3.1 and 3.1.1
/// PUBLISH packets are identical on the wire; MQTT 5 adds properties, whose remaining message
/// expiry changes by the second. The RETAIN flag differs with retain-as-published, the QoS with
/// each subscription's maximum. At QoS 1 and 2 the packet identifier is per session, but the
/// subscribers of one message share the one in ``sharedPacketID`` wherever their sessions have it
/// free, so they share the bytes too. A batch keeps a handful of encodings, whatever the number
/// of subscribers.
///
/// One cache serves one message (its deliveries on one loop), never several.
package struct PublishEncodingCache {
    package struct Key: Hashable {
        package var isMQTT5: Bool
        package var retain: Bool
        package var lifetime: Int64?
        package var qos: QoS
        /// 0 at QoS 0, which has no packet identifier [MQTT-2.2.1-2].
        package var packetID: UInt16

        package init(isMQTT5: Bool, retain: Bool, lifetime: Int64?, qos: QoS = .atMostOnce, packetID: UInt16 = 0) {
            self.isMQTT5 = isMQTT5
            self.retain = retain
            self.lifetime = isMQTT5 ? lifetime : nil
            self.qos = qos
            self.packetID = qos == .atMostOnce ? 0 : packetID
        }
    }

    /// The packet identifier the first QoS 1/2 subscriber of this message took, offered to the
    /// others (``SessionState/allocatePacketID(preferring:)``). Packet identifiers only have to be
    /// unused within each session [MQTT-2.2.1-3], so subscribers that have it free can all use it.
    package var sharedPacketID: UInt16?

    private typealias Entry = (key: Key, bytes: ByteBuffer)

    // The usual batch needs one or two encodings (3.1.1 and 5): they are kept inline, so the
    // cache itself allocates nothing per batch (issue 5); further keys go to `more`.
    private var first: Entry?
    private var second: Entry?
    private var more: [Entry] = []

    package init() {}

    /// The cached bytes for `key`, made by `encode` the first time.
    package mutating func bytes(for key: Key, encode: () -> ByteBuffer) -> ByteBuffer {
        guard let first else {
            let bytes = encode()
            self.first = (key, bytes)
            return bytes
        }
        if first.key == key { return first.bytes }
        guard let second else {
            let bytes = encode()
            self.second = (key, bytes)
            return bytes
        }
        if second.key == key { return second.bytes }
        for entry in more where entry.key == key { return entry.bytes }
        let bytes = encode()
        more.append((key, bytes))
        return bytes
    }
}
