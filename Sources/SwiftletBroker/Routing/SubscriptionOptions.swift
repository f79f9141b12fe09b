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

/// The options a session holds for one subscription (MQTT 5 §3.8.3.1).
///
/// MQTT 3.1 and 3.1.1 subscriptions only carry `qos`; the other fields keep their defaults.
package struct SubscriptionOptions: Sendable, Hashable {
    /// The maximum QoS granted for the subscription.
    package var qos: QoS
    /// Do not forward messages published by the subscribing client itself [MQTT-3.8.3-3].
    package var noLocal: Bool
    /// Forward the RETAIN flag as published instead of clearing it [MQTT-3.3.1-12] [MQTT-3.3.1-13].
    package var retainAsPublished: Bool
    /// When to send retained messages on subscribe: 0, 1 or 2 (MQTT 5 §3.8.3.1).
    ///
    /// Stored for the session; the index does not interpret it.
    package var retainHandling: UInt8
    /// The Subscription Identifier of the SUBSCRIBE that created the subscription (MQTT 5 §3.8.2.1.2).
    package var subscriptionIdentifier: UInt32?
    /// How a shared group picks its member, as this subscription asked (`share-strategy` user property); ignored
    /// for a non-shared subscription.
    package var shareStrategy: ShareStrategy

    /// - Parameters:
    ///   - qos: The maximum QoS granted for the subscription.
    ///   - noLocal: Do not forward the subscriber's own messages back to it.
    ///   - retainAsPublished: Keep the RETAIN flag of forwarded messages as published.
    ///   - retainHandling: When to send retained messages on subscribe (0, 1 or 2).
    ///   - subscriptionIdentifier: The Subscription Identifier, if the SUBSCRIBE carried one.
    ///   - shareStrategy: How a shared group picks its member.
    package init(
        qos: QoS,
        noLocal: Bool = false,
        retainAsPublished: Bool = false,
        retainHandling: UInt8 = 0,
        subscriptionIdentifier: UInt32? = nil,
        shareStrategy: ShareStrategy = .roundRobin
    ) {
        self.qos = qos
        self.noLocal = noLocal
        self.retainAsPublished = retainAsPublished
        self.retainHandling = retainHandling
        self.subscriptionIdentifier = subscriptionIdentifier
        self.shareStrategy = shareStrategy
    }
}
