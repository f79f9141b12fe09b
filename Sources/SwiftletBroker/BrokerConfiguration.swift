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
import SwiftletAuth

/// Limits and protocol options of the broker. Every input the broker accepts is bounded by one of
/// these values (DESIGN §9); the defaults suit a chat or live-room deployment on one machine.
package struct BrokerConfiguration: Sendable, Hashable {
    /// Largest MQTT packet accepted from a client, fixed header included. Announced to MQTT 5
    /// clients as Maximum Packet Size; a bigger packet ends the connection with 0x95.
    package var maxPacketSize: Int = 1 << 20
    /// Longest topic name or filter, in UTF-8 bytes (the protocol allows 65,535).
    package var maxTopicLength: Int = 1024
    /// Most levels in a topic name or filter.
    package var maxTopicLevels: Int = 32
    /// Most subscriptions one session may hold; more are refused with 0x97 (quota exceeded).
    package var maxSubscriptionsPerClient: Int = 100
    /// Inbound: the server's Receive Maximum (MQTT 5 §3.2.2.3.3): QoS 2 messages a client may
    /// have unacknowledged. Outbound: the inflight window for clients that state no Receive Maximum.
    package var maxInflight: Int = 32
    /// QoS 1/2 messages queued per session beyond the inflight window (also while offline).
    /// Past it new messages are dropped and counted.
    package var maxQueuedMessages: Int = 1000
    /// Bytes of QoS 1/2 messages one session may hold, queued and in flight together
    /// (``RoutedMessage/byteCost``); past it new messages are dropped and counted, like past
    /// `maxQueuedMessages`. A session holding nothing always takes one message.
    package var maxQueuedBytes: Int = 16 << 20
    /// Bytes of messages queued in all sessions together, split evenly over the event loops; when
    /// a loop's share is full the largest queues lose their oldest messages first (QueueBudget).
    /// The server's default is a quarter of the memory the process may use (`SystemMemory`).
    package var maxQueuedBytesTotal: Int = 1 << 30
    /// The event loops `maxQueuedBytesTotal` is split over; the server sets its thread count.
    package var eventLoopCount: Int = System.coreCount
    /// Persistent sessions (session expiry above 0), connected or not; a CONNECT that would create
    /// one more is refused (0x97 / return code 3). Resuming a session and clean sessions are not.
    package var maxSessions: Int = 100_000
    /// Bytes one connection may have written but not yet flushed to the socket (its high-water
    /// mark): above it QoS 0 messages to it are dropped, QoS 1/2 wait in the session queue, and
    /// nothing more is read from the connection until its output drained (InboundFlowControl).
    package var maxOutboundBytes: Int = 1 << 20
    /// How long a connection's output may stay above `maxOutboundBytes` before the connection is
    /// closed (0x97); nil never closes.
    package var writeStallTimeout: TimeAmount? = .seconds(30)
    /// How long a connection closed with a reason (DISCONNECT, refusing CONNACK) stays half-open
    /// for the client to read it, dropping what still arrives, before it is closed.
    package var closeLingerTimeout: TimeAmount = .seconds(2)
    /// Packets decoded from one connection before the rest of what it sent waits behind the
    /// loop's other work (InboundFlowControl). A socket read of small packets (up to 64 KiB) is
    /// about a thousand of them and is decoded in one turn; a flood of 2-byte PINGREQs or an
    /// inflated WebSocket message (up to 1 MiB) takes many turns.
    package var maxPacketsPerTurn: Int = 1024
    /// Concurrent client connections; a CONNECT beyond it is refused (0x97 / return code 3).
    package var maxConnections: Int = 100_000
    /// Time a new socket has to send CONNECT before it is closed.
    package var connectTimeout: TimeAmount = .seconds(10)
    /// Largest keep-alive a client may use, in seconds; 0 means no limit. MQTT 5 clients asking
    /// for more (or for none) are told the value through Server Keep Alive.
    package var maxKeepAlive: UInt16 = 0
    /// Topic aliases a client may use towards the server (MQTT 5 Topic Alias Maximum).
    package var topicAliasMaximum: UInt16 = 64
    /// Upper bound on a session's expiry, in seconds, for MQTT 5 clients and for 3.1.1 clients
    /// with clean session 0 (whose sessions otherwise never expire).
    package var maxSessionExpiry: UInt32 = 7 * 24 * 3600
    /// Retained messages kept (one per topic). A retained PUBLISH to a new topic beyond it is
    /// delivered but not retained, and counted.
    package var maxRetainedMessages: Int = 100_000
    /// Queue QoS 0 messages for offline persistent sessions (Mosquitto's queue_qos0_messages).
    package var queueQoS0Offline: Bool = false
    /// Room policies by topic filter (DESIGN §5): batch window, rate ceiling, per-client rate.
    /// The first policy whose filter matches a topic governs it.
    package var rooms: [RoomPolicy] = []
    /// Rooms tracked at most (topics under a policy); idle ones are forgotten past it.
    package var maxRooms: Int = 100_000
    /// What happens when a connected subscriber's session queue is full (DESIGN §4.6).
    package var slowConsumerPolicy: SlowConsumerPolicy = .drop
    /// Whether clients may connect without credentials.
    package var allowAnonymous: Bool = true
    /// Access keys whose secrets check `Signature|…`, `DeviceCredential|…` and `Token|…`
    /// credentials (DESIGN §6). Empty: only anonymous access.
    package var accessKeys: [AccessKey] = []
    /// Publish connect and disconnect events on `$SYS/clients/{clientId}/connected|disconnected`.
    package var statusEvents: Bool = true
    /// ACL rules, first match decides, and what happens when none matches (DESIGN §6).
    package var accessControl = AccessControl()
    /// The instance ID credentials must name; nil accepts any.
    package var instanceID: String? = nil
    /// Users and password hashes that plain `username`/`password` CONNECTs are checked against
    /// (DESIGN §6); nil for none, when a plain user name is anonymous access with a name.
    package var passwordFile: PasswordFile? = nil
    /// How long before a token expires its client is told on `$SYS/tokenExpireNotice`; a client
    /// whose token has less left is told at once.
    package var tokenExpireNotice: TimeAmount = .seconds(300)
    /// Revoked tokens remembered (each until it would have expired). A revocation beyond it is
    /// refused, so that the list cannot grow without bound.
    package var maxRevokedTokens: Int = 100_000

    package init() {}
}

/// What the broker does when a connected subscriber cannot keep up and its session queue of
/// QoS 1/2 messages is full (DESIGN §4.6). QoS 0 messages to a subscriber whose connection is
/// not writable are always dropped and counted.
package enum SlowConsumerPolicy: String, Sendable, Hashable, CaseIterable {
    /// Drop the new message and count it; the client stays connected.
    case drop
    /// Drop the new message, count it, and disconnect the client (MQTT 5: 0x97, quota exceeded);
    /// a persistent session keeps its queue for the next connection.
    case disconnect
}
