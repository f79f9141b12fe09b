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
import Synchronization

/// One room as the admin API lists it: a topic with subscribers, or under a room policy, or both.
package struct RoomSummary: Sendable, Hashable {
    package var topic: String
    /// Subscriptions by filters without wildcards to exactly this topic (shared group members
    /// count one each); wildcard subscribers that also match are not counted.
    package var subscribers: Int
    /// The filter of the room policy that governs the topic, if any.
    package var policyFilter: String?
    /// The room's counters; nil for a topic no policy governs (no counters are kept for it).
    package var counters: RoomSnapshot?
}

/// The broker's numbers at one moment, for the admin API's stats and the metrics scrape.
package struct BrokerOverview: Sendable {
    /// Connected (accepted) clients by transport: `tcp`, `tls`, `ws`, `wss`.
    package var connectionsByTransport: [String: Int]
    /// Sessions in the registry, connected or not.
    package var sessions: Int
    /// Sessions without a connection (persistent sessions waiting for their client).
    package var offlineSessions: Int
    package var subscriptions: Int
    package var retainedMessages: Int
    /// Every BrokerStats counter by name.
    package var counters: [String: Int]
}

/// Queries and actions for the admin API (DESIGN §1, §7).
///
/// Session state is confined to its event loop (DESIGN §4.1), so the queries hop to each loop
/// that has sessions, read them there, and collect the results on the caller's loop; nothing here
/// reads another loop's state directly.
extension Broker {
    /// The publisher client ID of messages the admin API publishes: a privileged backend identity
    /// (role `cloud`), which ACL rules and token grants do not restrict.
    package static let adminClientID = "$admin"

    /// Snapshots of every session, read on each session's loop; the future completes on `loop`.
    package func sessionSnapshots(on loop: any EventLoop) -> EventLoopFuture<[SessionSnapshot]> {
        readSessions(on: loop) { handles in handles.map { $0.snapshot() } }.map { $0.flatMap { $0 } }
    }

    /// Runs `read` once on each event loop that has sessions, with that loop's sessions, and
    /// collects what each returned; the future completes on `loop`.
    private func readSessions<Value: Sendable>(
        on loop: any EventLoop, _ read: @escaping @Sendable ([SessionHandle]) -> Value
    ) -> EventLoopFuture<[Value]> {
        let all = sessions.all
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, handles: [SessionHandle])] = [:]
        for handle in all {
            byLoop[ObjectIdentifier(handle.eventLoop), default: (handle.eventLoop, [])].handles.append(handle)
        }
        let reads = byLoop.values.map { entry in entry.loop.submit { read(entry.handles) } }
        return EventLoopFuture.whenAllSucceed(reads, on: loop)
    }

    /// The snapshot of one client's session, nil when there is none; completes on `loop`.
    package func sessionSnapshot(clientID: String, on loop: any EventLoop) -> EventLoopFuture<SessionSnapshot?> {
        guard let handle = session(clientID: clientID) else { return loop.makeSucceededFuture(nil) }
        return handle.eventLoop.submit { Optional(handle.snapshot()) }.hop(to: loop)
    }

    /// Disconnects a client with reason 0x98 (Administrative action). The future holds false when
    /// the client has no session or its session no connection; completes on `loop`.
    package func kick(clientID: String, on loop: any EventLoop) -> EventLoopFuture<Bool> {
        guard let handle = session(clientID: clientID) else { return loop.makeSucceededFuture(false) }
        return handle.eventLoop.submit {
            let kicked = handle.kick()
            if kicked { self.logger.info("client kicked by the admin API", metadata: ["client.id": "\(clientID)"]) }
            return kicked
        }.hop(to: loop)
    }

    /// Publishes a message through the normal routing (rooms, retained, p2p) as `$admin`.
    /// Returns the number of sessions it was handed to (see route(_:from:now:on:)).
    /// - Parameter loop: where a room's batch window is timed.
    @discardableResult
    package func publishAsAdmin(
        topic: String, payload: ByteBuffer, qos: QoS, retain: Bool, properties: Properties, on loop: any EventLoop
    ) -> Int {
        let message = RoutedMessage(
            topic: topic, payload: payload, qos: qos, retain: retain, properties: properties,
            publisherClientID: Self.adminClientID)
        return route(message, from: nil, now: loop.now, on: loop)
    }

    /// Topics with subscribers (by filters without wildcards) or a room policy, by topic.
    package var roomSummaries: [RoomSummary] {
        var summaries: [String: RoomSummary] = [:]
        for (text, subscribers) in router.read({ $0.exactTopicSubscriberCounts }) {
            let topic = String(text)
            summaries[topic] = RoomSummary(
                topic: topic, subscribers: subscribers, policyFilter: rooms.policy(forTopic: topic)?.filter,
                counters: nil)
        }
        for counters in rooms.snapshot {
            summaries[counters.topic, default: RoomSummary(topic: counters.topic, subscribers: 0)].counters = counters
            summaries[counters.topic]?.policyFilter = counters.policyFilter
        }
        return summaries.values.sorted { $0.topic.utf8.lexicographicallyPrecedes($1.topic.utf8) }
    }

    /// Connections by transport, sessions, subscriptions, retained messages and every counter;
    /// completes on `loop`.
    package func overview(on loop: any EventLoop) -> EventLoopFuture<BrokerOverview> {
        // Counted on each loop, without snapshots: a scrape costs a walk over the sessions, not a
        // copy of each one's description and subscriptions.
        readSessions(on: loop) { handles in
            var byTransport: [String: Int] = [:]
            var offline = 0
            for handle in handles {
                if let transport = handle.connectedTransport {
                    byTransport[transport, default: 0] += 1
                } else {
                    offline += 1
                }
            }
            return (byTransport, offline, handles.count)
        }.map { counts in
            var byTransport: [String: Int] = [:]
            for (transports, _, _) in counts {
                byTransport.merge(transports, uniquingKeysWith: +)
            }
            return BrokerOverview(
                connectionsByTransport: byTransport, sessions: counts.reduce(0) { $0 + $1.2 },
                offlineSessions: counts.reduce(0) { $0 + $1.1 }, subscriptions: self.subscriptionCount,
                retainedMessages: self.retained.count, counters: self.stats.snapshot)
        }
    }
}

extension RoomSummary {
    init(topic: String, subscribers: Int) {
        self.init(topic: topic, subscribers: subscribers, policyFilter: nil, counters: nil)
    }
}
