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
import Foundation
import SwiftletAuth
import SwiftletBroker
import SwiftletMQTT

// MARK: - Requests

/// `POST /api/v1/publish`.
struct PublishBody: Decodable {
    var topic: String
    var payload: String?
    /// `utf8` (default) or `base64`.
    var encoding: String?
    var qos: Int?
    var retain: Bool?
    var userProperties: [String: String]?
}

/// `POST /api/v1/p2p`.
struct P2PBody: Decodable {
    var parentTopic: String
    var clientId: String
    var payload: String?
    var encoding: String?
    var qos: Int?
    var userProperties: [String: String]?
}

/// `POST /api/v1/tokens`.
struct IssueTokenBody: Decodable {
    var accessKeyId: String
    var filters: [String]
    /// `R`, `W` or `RW`.
    var actions: String
    /// Seconds.
    var expiresIn: Int
}

// MARK: - Responses

struct DeliveriesBody: Encodable {
    var deliveries: Int
}

struct HealthBody: Encodable {
    var status = "ok"
}

struct IssuedTokenBody: Encodable {
    var token: String
    /// Unix milliseconds.
    var expiresAt: UInt64
    /// The MQTT password that uses the token alone: `{actions}|{token}`, e.g. `RW|…` or `R|…`.
    var password: String
}

struct ClientItem: Encodable {
    var clientId: String
    var group: String?
    var username: String?
    var transport: String
    var protocolVersion: String
    var ip: String?
    var port: Int?
    /// Unix milliseconds of the CONNACK.
    var connectedAt: UInt64
    var keepAlive: UInt16
    var cleanStart: Bool

    init(_ event: StatusEvent) {
        clientId = event.clientID
        group = GroupedClientID(event.clientID)?.groupID
        username = event.username
        transport = event.transport
        protocolVersion = event.protocolVersion.adminName
        ip = event.ip
        port = event.port
        connectedAt = event.time
        keepAlive = event.keepAlive
        cleanStart = event.cleanStart
    }
}

struct ClientPage: Encodable {
    var items: [ClientItem]
    var page: Int
    var limit: Int
    var total: Int
}

struct SubscriptionItem: Encodable {
    var filter: String
    var qos: Int
}

struct ClientDetail: Encodable {
    var clientId: String
    var group: String?
    var online: Bool
    /// Present while online.
    var connection: ClientItem?
    var subscriptions: [SubscriptionItem]
    var queued: Int
    var inflight: Int
    var dropped: Int

    init(_ snapshot: SessionSnapshot) {
        clientId = snapshot.clientID
        group = GroupedClientID(snapshot.clientID)?.groupID
        online = snapshot.isOnline
        connection = snapshot.connection.map(ClientItem.init)
        subscriptions = snapshot.subscriptions
            .map { SubscriptionItem(filter: $0.key, qos: Int($0.value.qos.rawValue)) }
            .sorted { $0.filter.utf8.lexicographicallyPrecedes($1.filter.utf8) }
        queued = snapshot.queued
        inflight = snapshot.inflight
        dropped = snapshot.dropped
    }
}

struct RoomItem: Encodable {
    var topic: String
    var subscribers: Int
    var policy: String?
    var published: Int?
    var delivered: Int?
    var dropped: Int?

    init(_ summary: RoomSummary) {
        topic = summary.topic
        subscribers = summary.subscribers
        policy = summary.policyFilter
        published = summary.counters?.messagesIn
        delivered = summary.counters?.delivered
        dropped = summary.counters.map { $0.droppedByCeiling + $0.droppedSlowConsumer }
    }

    private enum CodingKeys: String, CodingKey {
        case topic, subscribers, policy, published, delivered, dropped
    }

    /// Counters are `null` (not absent) for a topic without a room policy: no counters are kept.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(topic, forKey: .topic)
        try container.encode(subscribers, forKey: .subscribers)
        try container.encodeIfPresent(policy, forKey: .policy)
        try container.encode(published, forKey: .published)
        try container.encode(delivered, forKey: .delivered)
        try container.encode(dropped, forKey: .dropped)
    }
}

struct StatsBody: Encodable {
    struct Connections: Encodable {
        var total: Int
        var byTransport: [String: Int]
    }
    struct Sessions: Encodable {
        var total: Int
        var offline: Int
    }
    struct Messages: Encodable {
        var `in`: Int
        var out: Int
    }

    var connections: Connections
    var sessions: Sessions
    var subscriptions: Int
    var retained: Int
    var rooms: Int
    var messages: Messages
    /// Messages dropped, by cause, and their total.
    var drops: [String: Int]
    /// Every broker counter by name.
    var counters: [String: Int]
    /// What the memory trimmer gave back to the system (zeros when it is off).
    var memory: Memory

    struct Memory: Encodable {
        /// `malloc_trim` calls.
        var trims: Int
        /// How much the resident size fell across them, in bytes.
        var releasedBytes: Int
    }

    /// The counters that count dropped messages, by the name `drops` shows them under.
    static let dropCounters: [(String, BrokerStats.Counter)] = [
        ("queueFull", .messagesDroppedQueueFull),
        ("queueBytes", .messagesDroppedQueueBytes),
        ("queueBudget", .messagesDroppedQueueBudget),
        ("notWritable", .messagesDroppedNotWritable),
        ("tooLarge", .messagesDroppedTooLarge),
        ("expired", .messagesDroppedExpired),
        ("noSession", .messagesDroppedNoSession),
        ("rateCeiling", .messagesDroppedRateCeiling),
        ("clientRate", .messagesDroppedClientRate),
    ]

    init(_ overview: BrokerOverview, rooms: Int, memory: MemoryTrimmer.Statistics) {
        let byTransport = overview.connectionsByTransport
        connections = Connections(total: byTransport.values.reduce(0, +), byTransport: byTransport)
        sessions = Sessions(total: overview.sessions, offline: overview.offlineSessions)
        subscriptions = overview.subscriptions
        retained = overview.retainedMessages
        self.rooms = rooms
        let counters = overview.counters
        messages = Messages(in: counters["messagesReceived"] ?? 0, out: counters["messagesSent"] ?? 0)
        var drops: [String: Int] = [:]
        for (name, counter) in Self.dropCounters {
            drops[name] = counters[String(describing: counter)] ?? 0
        }
        drops["total"] = drops.values.reduce(0, +)
        self.drops = drops
        self.counters = counters
        self.memory = Memory(trims: memory.trims, releasedBytes: memory.releasedBytes)
    }
}

extension ProtocolVersion {
    /// `3.1`, `3.1.1` or `5.0`, as status events write it.
    var adminName: String {
        switch self {
        case .v3_1: "3.1"
        case .v3_1_1: "3.1.1"
        case .v5: "5.0"
        }
    }
}

/// `{"token": "…"}`: the body of a token revocation or query.
struct TokenBody: Decodable {
    var token: String
}

/// What the broker knows about a token (revocation and query answers).
struct TokenStatusBody: Encodable {
    var valid: Bool
    var revoked: Bool
    /// `valid`, `revoked` or `expired`; nil when the token could not be verified.
    var state: String?
    /// Why the token could not be verified.
    var reason: String?
    var tokenId: String?
    var accessKeyId: String?
    var actions: String?
    var filters: [String]?
    /// Unix milliseconds.
    var expiresAt: UInt64?

    init(_ status: TokenStatus) {
        valid = status.state == .valid
        revoked = status.state == .revoked
        state = status.state.rawValue
        tokenId = status.token.id
        accessKeyId = status.token.accessKeyID
        actions = status.token.actions.description
        filters = status.token.filters
        expiresAt = status.token.expiresAt * 1000
    }

    init(invalid reason: String) {
        valid = false
        revoked = false
        self.reason = reason
    }
}

/// `{"accessKeyId": "…", "clientId": "…"}`: a device credential request.
struct DeviceCredentialRequestBody: Decodable {
    var accessKeyId: String
    var clientId: String
}

/// A device's credential: its secret (for the device to keep) and the user name and password it
/// connects with.
struct DeviceCredentialBody: Encodable {
    var accessKeyId: String
    var clientId: String
    var deviceSecretKey: String
    var username: String
    var password: String
}
