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

extension Broker {
    /// What one redelivery did, for the counters and the log.
    struct SharedRedelivery {
        var redelivered = 0
        var dropped = 0
    }

    /// Sends messages that a member of a shared subscription got and never acknowledged, because its session ended,
    /// to another member of the same group (MQTT 5 §4.8.2: "If the Client's Session terminates before the Client
    /// reconnects, the Server SHOULD send the Application Message to another Client that is subscribed to the same
    /// Shared Subscription").
    ///
    /// Each message keeps its QoS (capped by the new member's granted QoS [MQTT-3.8.4-8]) and goes out as a new
    /// delivery, DUP 0: the new member never saw it. The member is chosen by the group's strategy, as for a publish.
    /// Messages for one member leave in the order given, in one task on its loop, queued under the router's lock
    /// before any publish that starts after the session ended, so they stay ahead of later publishes to that member. A message whose group has no
    /// member left is dropped and counted: the session that held it is gone.
    ///
    /// Call with the router's lock held, after the ended session's subscriptions left the index, so that it is
    /// never chosen again. The turn is taken in the writers' index: each loop's copy keeps its own rotation.
    ///
    /// - Parameters:
    ///   - deliveries: The messages, oldest first, each with the shared subscription it came through.
    ///   - journal: The writers' subscription index, locked.
    func redeliverShared(
        _ deliveries: [OutboundDelivery], journal: inout SubscriptionJournal<SessionHandle>
    ) -> SharedRedelivery {
        var outcome = SharedRedelivery()
        var targets: [(session: SessionHandle, items: [OutboundDelivery])] = []
        for delivery in deliveries {
            guard let filter = delivery.sharedSubscription,
                let match = journal.takeSharedTurn(filter: filter, topic: delivery.message.topic)
            else {
                outcome.dropped += 1
                continue
            }
            let item = OutboundDelivery(
                message: delivery.message,
                qos: min(delivery.message.qos, match.qos),
                // Retain-as-published, else 0 on a normal delivery [MQTT-3.3.1-12] [MQTT-3.3.1-13].
                retain: match.retainAsPublished && delivery.message.retain,
                subscriptionIdentifiers: match.subscriptionIdentifiers,
                sharedSubscription: filter)
            if let position = targets.firstIndex(where: { $0.session === match.subscriber }) {
                targets[position].items.append(item)
            } else {
                targets.append((match.subscriber, [item]))
            }
            outcome.redelivered += 1
        }
        for (session, items) in targets {
            session.eventLoop.execute {
                let now = session.eventLoop.now
                for item in items {
                    var cache = PublishEncodingCache()
                    session.deliver(
                        item.message, qos: item.qos, retain: item.retain,
                        subscriptionIdentifiers: item.subscriptionIdentifiers, now: now, cache: &cache,
                        sharedSubscription: item.sharedSubscription)
                }
                session.flushConnection()
            }
        }
        return outcome
    }

    /// ``redeliverShared(_:journal:)`` for messages that reached a member after its session ended: takes the lock.
    func redeliverShared(_ deliveries: [OutboundDelivery], from clientID: String) {
        let outcome = self.router.write { self.redeliverShared(deliveries, journal: &$0) }
        self.noteRedelivery(outcome, from: clientID)
    }

    /// Counts a redelivery and logs it (outside the router's lock).
    func noteRedelivery(_ outcome: SharedRedelivery, from clientID: String) {
        if outcome.redelivered > 0 { self.stats.increment(.sharedMessagesRedelivered, by: outcome.redelivered) }
        if outcome.dropped > 0 { self.stats.increment(.sharedMessagesDroppedNoMember, by: outcome.dropped) }
        self.logger.info(
            "shared subscription messages of an ended session sent to other members",
            metadata: [
                "client.id": "\(clientID)", "redelivered": "\(outcome.redelivered)", "dropped": "\(outcome.dropped)",
            ])
    }
}
