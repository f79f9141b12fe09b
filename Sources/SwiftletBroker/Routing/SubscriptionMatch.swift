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

import SwiftletMQTT

/// One delivery that a publish owes to one subscriber, as found by ``SubscriptionIndex/match(topic:publisher:)``.
///
/// All the non-shared subscriptions of a subscriber that match a topic fold into a single match: Swiftlet sends
/// one copy of the message to a client whose subscriptions overlap (MQTT 5 §3.3.4). Each shared subscription
/// that matches adds one more match for the member it chose, with `isShared` set, even if that member also has a
/// non-shared match (MQTT 5 §4.8.2).
package struct SubscriptionMatch<Subscriber>: Sendable where Subscriber: Sendable {
    /// Who gets the message.
    package var subscriber: Subscriber
    /// The maximum QoS granted over all the subscriptions folded into this match [MQTT-3.3.4-2].
    ///
    /// The delivery QoS is the minimum of this and the QoS of the publish [MQTT-3.8.4-8].
    package var qos: QoS
    /// Whether any of the subscriptions folded into this match asked for Retain As Published [MQTT-3.3.1-13].
    package var retainAsPublished: Bool
    /// The Subscription Identifiers of all the subscriptions folded into this match, without repeats and in no
    /// particular order [MQTT-3.3.4-3] [MQTT-3.3.4-4].
    package var subscriptionIdentifiers: [UInt32]
    /// The shared subscription this match comes from, `$share/{ShareName}/{filter}` as its members subscribed; nil
    /// for a non-shared match. A message delivered through it remembers it, so that it can go to another member if
    /// this one's session ends before acknowledging it (MQTT 5 §4.8.2). Shares the group's string: no allocation.
    package var sharedSubscription: String?

    /// Whether this match comes from a shared subscription (`$share/{ShareName}/{filter}`).
    package var isShared: Bool { self.sharedSubscription != nil }

    /// - Parameters:
    ///   - subscriber: Who gets the message.
    ///   - qos: The maximum granted QoS of the matching subscriptions.
    ///   - retainAsPublished: Whether any matching subscription asked for Retain As Published.
    ///   - subscriptionIdentifiers: The Subscription Identifiers of the matching subscriptions.
    ///   - sharedSubscription: The shared subscription the match comes from, if any.
    package init(
        subscriber: Subscriber,
        qos: QoS,
        retainAsPublished: Bool = false,
        subscriptionIdentifiers: [UInt32] = [],
        sharedSubscription: String? = nil
    ) {
        self.subscriber = subscriber
        self.qos = qos
        self.retainAsPublished = retainAsPublished
        self.subscriptionIdentifiers = subscriptionIdentifiers
        self.sharedSubscription = sharedSubscription
    }
}

extension SubscriptionMatch: Equatable where Subscriber: Equatable {}

extension SubscriptionMatch: Hashable where Subscriber: Hashable {}
