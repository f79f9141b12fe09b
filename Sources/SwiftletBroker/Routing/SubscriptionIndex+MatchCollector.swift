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
    /// Gathers the matches of one publish into one array, folding the overlapping non-shared subscriptions of a
    /// subscriber into a single match.
    struct MatchCollector {
        private(set) var matches: [SubscriptionMatch<Subscriber>] = []
        /// Subscribers that cannot take a message now (offline sessions): a shared group passes
        /// their turn to a member that can, if it has one.
        var unavailable: Set<Subscriber> = []
        /// The topic of the publish, for shared groups that pick their member by topic (``ShareStrategy/hashTopic``).
        var topic: Substring = ""
        /// How many filters with non-shared subscriptions have matched so far.
        private var nonSharedFilterCount = 0
        /// Where each subscriber's non-shared match sits in `matches`.
        ///
        /// Built only once a second filter with non-shared subscriptions matches: the subscribers of one filter are
        /// distinct, so the usual publish to a room (one exact filter) needs no second table.
        private var nonSharedPositions: [Subscriber: Int] = [:]

        /// Adds the non-shared subscriptions of one matching filter.
        mutating func addNonShared(_ subscriptions: [Subscriber: Subscription], publisher: Subscriber?) {
            self.nonSharedFilterCount += 1
            if self.nonSharedFilterCount == 1 {
                self.matches.reserveCapacity(self.matches.count + subscriptions.count)
                for (subscriber, subscription) in subscriptions {
                    // [MQTT-3.8.3-3] No Local: not back to the publishing client.
                    if subscription.options.noLocal, subscriber == publisher {
                        continue
                    }
                    self.matches.append(SubscriptionMatch(subscriber, subscription, sharedSubscription: nil))
                }
                return
            }
            // Room for every subscriber of this filter up front: one allocation per table instead of
            // a growth series per publish (issue 5). Grown geometrically, since `reserveCapacity`
            // alone would reallocate for every further filter that matches.
            let needed = self.matches.count + subscriptions.count
            if needed > self.matches.capacity {
                self.matches.reserveCapacity(Swift.max(needed, 2 * self.matches.capacity))
            }
            if needed > self.nonSharedPositions.capacity {
                self.nonSharedPositions.reserveCapacity(Swift.max(needed, 2 * self.nonSharedPositions.capacity))
            }
            if self.nonSharedFilterCount == 2 {
                for position in self.matches.indices where !self.matches[position].isShared {
                    self.nonSharedPositions[self.matches[position].subscriber] = position
                }
            }
            for (subscriber, subscription) in subscriptions {
                // [MQTT-3.8.3-3] Only this subscription is skipped; an overlapping one without No Local still
                // delivers.
                if subscription.options.noLocal, subscriber == publisher {
                    continue
                }
                if let position = self.nonSharedPositions[subscriber] {
                    self.matches[position].fold(subscription)
                } else {
                    self.nonSharedPositions[subscriber] = self.matches.count
                    self.matches.append(SubscriptionMatch(subscriber, subscription, sharedSubscription: nil))
                }
            }
        }

        /// Adds the member a shared subscription chose: always a match of its own (MQTT 5 §4.8.2).
        mutating func addShared(_ subscriber: Subscriber, _ subscription: Subscription, group: String) {
            self.matches.append(SubscriptionMatch(subscriber, subscription, sharedSubscription: group))
        }
    }
}

extension SubscriptionMatch where Subscriber: Hashable {
    fileprivate init(
        _ subscriber: Subscriber,
        _ subscription: SubscriptionIndex<Subscriber>.Subscription,
        sharedSubscription: String?
    ) {
        self.init(
            subscriber: subscriber,
            qos: subscription.options.qos,
            retainAsPublished: subscription.options.retainAsPublished,
            // Shares the subscription's array: no allocation per subscriber per publish.
            subscriptionIdentifiers: subscription.subscriptionIdentifiers,
            sharedSubscription: sharedSubscription
        )
    }

    /// Folds one more matching subscription of the same subscriber into this match: Swiftlet sends one copy
    /// for overlapping subscriptions (MQTT 5 §3.3.4).
    fileprivate mutating func fold(_ subscription: SubscriptionIndex<Subscriber>.Subscription) {
        // [MQTT-3.3.4-2] The maximum QoS of all the matching subscriptions.
        self.qos = max(self.qos, subscription.options.qos)
        self.retainAsPublished = self.retainAsPublished || subscription.options.retainAsPublished
        // [MQTT-3.3.4-3] [MQTT-3.3.4-4] The identifiers of all the matching subscriptions, in no particular order.
        for identifier in subscription.subscriptionIdentifiers
        where !self.subscriptionIdentifiers.contains(identifier) {
            self.subscriptionIdentifiers.append(identifier)
        }
    }
}
