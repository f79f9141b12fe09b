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

extension SubscriptionIndex {
    /// Picks the member of the shared subscription `filter` that should get a message now, outside a publish: a
    /// message whose first member's session ended before acknowledging it (MQTT 5 §4.8.2: "If the Client's Session
    /// terminates before the Client reconnects, the Server SHOULD send the Application Message to another Client that
    /// is subscribed to the same Shared Subscription").
    ///
    /// The group's strategy applies as for a publish: round-robin takes a turn, ``ShareStrategy/hashTopic`` picks
    /// the member that now owns `topic`. Members without a connection are passed over while one with a connection
    /// exists.
    ///
    /// - Parameters:
    ///   - filter: The shared subscription, `$share/{ShareName}/{filter}`.
    ///   - topic: The message's topic.
    /// - Returns: The member chosen, as a match with its granted QoS and Subscription Identifiers; nil if the group
    ///   has no members left, or `filter` is not a shared subscription.
    package mutating func takeSharedTurn(filter: String, topic: String) -> SubscriptionMatch<Subscriber>? {
        let parsed = ParsedSubscriptionFilter(filter)
        guard let shareName = parsed.shareName else {
            return nil
        }
        let unavailable = self.unavailable
        return self.modifySubscribers(of: parsed, createPath: false) {
            $0.takeSharedTurn(shareName: shareName, topic: topic[...], unavailable: unavailable)
        } ?? nil
    }
}
