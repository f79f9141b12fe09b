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
    /// One subscription as the index stores it.
    struct Subscription: Sendable {
        var options: SubscriptionOptions
        /// The Subscription Identifier, already in the array a match carries, so that a match can share this
        /// storage instead of allocating an array per subscriber per publish.
        var subscriptionIdentifiers: [UInt32]

        init(_ options: SubscriptionOptions) {
            self.options = options
            self.subscriptionIdentifiers = options.subscriptionIdentifier.map { [$0] } ?? []
        }
    }

    /// What ``SubscriptionIndex/replace(_:with:filters:)`` did to one filter.
    enum ReplaceOutcome: Sendable, Hashable {
        /// The old subscriber had no such subscription.
        case notSubscribed
        /// The subscription now belongs to the new subscriber.
        case moved
        /// The new subscriber already had a subscription to the filter; the old one took its place, so there is
        /// one subscription fewer.
        case merged
    }

    /// The subscriptions to one topic filter: the non-shared ones, and one group per ShareName for the shared ones
    /// (`$share/{ShareName}/{filter}`).
    struct FilterSubscribers: Sendable {
        /// Non-shared subscriptions. A session has at most one per filter: subscribing again replaces it
        /// [MQTT-3.8.4-3].
        private(set) var direct: [Subscriber: Subscription] = [:]
        /// Shared subscriptions, one group per ShareName. An array, not a dictionary: a filter rarely has more than
        /// a few groups, and an array lets a publish advance each group's rotation in place.
        private(set) var sharedGroups: [SharedGroup] = []

        var isEmpty: Bool {
            self.direct.isEmpty && self.sharedGroups.isEmpty
        }

        /// Adds or replaces the subscription of `subscriber`.
        ///
        /// - Returns: `true` if `subscriber` already had a subscription here, which is now replaced.
        ///
        /// - Parameter filter: The filter as sent in SUBSCRIBE; for a shared subscription, the name its group keeps.
        mutating func subscribe(
            _ subscriber: Subscriber, shareName: Substring?, filter: String, options: SubscriptionOptions
        ) -> Bool {
            let subscription = Subscription(options)
            guard let shareName else {
                // [MQTT-3.8.4-3] The same filter again replaces the existing subscription.
                return self.direct.updateValue(subscription, forKey: subscriber) != nil
            }
            if let group = self.sharedGroupPosition(shareName) {
                return self.sharedGroups[group].join(subscriber, subscription)
            }
            self.sharedGroups.append(
                SharedGroup(shareName: TopicKey(copying: shareName), filter: filter, subscriber, subscription))
            return false
        }

        /// Removes the subscription of `subscriber`.
        ///
        /// - Returns: `true` if there was one.
        mutating func unsubscribe(_ subscriber: Subscriber, shareName: Substring?) -> Bool {
            guard let shareName else {
                return self.direct.removeValue(forKey: subscriber) != nil
            }
            guard let group = self.sharedGroupPosition(shareName) else {
                return false
            }
            let removed = self.sharedGroups[group].leave(subscriber)
            if self.sharedGroups[group].members.isEmpty {
                self.sharedGroups.remove(at: group)
            }
            return removed
        }

        /// Hands the subscription of `old` to `new`, with its options and its place in a shared group.
        mutating func replace(_ old: Subscriber, with new: Subscriber, shareName: Substring?) -> ReplaceOutcome {
            guard let shareName else {
                guard let subscription = self.direct.removeValue(forKey: old) else {
                    return .notSubscribed
                }
                return self.direct.updateValue(subscription, forKey: new) == nil ? .moved : .merged
            }
            guard let group = self.sharedGroupPosition(shareName) else {
                return .notSubscribed
            }
            return self.sharedGroups[group].replace(old, with: new)
        }

        /// Adds the subscriptions to this filter to the matches of a publish, and takes one turn in each shared
        /// group.
        mutating func collectMatches(publisher: Subscriber?, into collector: inout MatchCollector) {
            if !self.direct.isEmpty {
                collector.addNonShared(self.direct, publisher: publisher)
            }
            // [MQTT-3.8.3-4] No Local is a protocol error on a shared subscription, so the broker never stores one
            // here and no member is skipped for being the publisher.
            for group in self.sharedGroups.indices {
                let turn = self.sharedGroups[group].takeTurn(skipping: collector.unavailable, topic: collector.topic)
                if let member = turn {
                    collector.addShared(member.subscriber, member.subscription, group: self.sharedGroups[group].filter)
                }
            }
        }

        /// Picks a member of the group `shareName` for one message outside a publish: a message whose member's
        /// session ended before acknowledging it (MQTT 5 §4.8.2). Takes a turn like a publish does.
        mutating func takeSharedTurn(
            shareName: Substring, topic: Substring, unavailable: Set<Subscriber>
        ) -> SubscriptionMatch<Subscriber>? {
            guard let group = self.sharedGroupPosition(shareName),
                let member = self.sharedGroups[group].takeTurn(skipping: unavailable, topic: topic)
            else {
                return nil
            }
            return SubscriptionMatch(
                subscriber: member.subscriber, qos: member.subscription.options.qos,
                retainAsPublished: member.subscription.options.retainAsPublished,
                subscriptionIdentifiers: member.subscription.subscriptionIdentifiers,
                sharedSubscription: self.sharedGroups[group].filter)
        }

        private func sharedGroupPosition(_ shareName: Substring) -> Int? {
            let key = TopicKey(shareName)
            return self.sharedGroups.firstIndex { $0.shareName == key }
        }
    }

    /// The members of one shared subscription `$share/{ShareName}/{filter}`, served in turn.
    ///
    /// Each message that matches the filter goes to one member only (MQTT 5 §4.8.2), chosen round-robin in the order
    /// the members joined, or by a hash of the topic when a member asked for ``ShareStrategy/hashTopic``. The
    /// rotation survives churn: a member that leaves does not make anyone skip or repeat a
    /// turn, a member that joins queues up behind the others, and a member whose subscription is replaced or whose
    /// session moves to a new handle keeps its place.
    struct SharedGroup: Sendable {
        struct Member: Sendable {
            var subscriber: Subscriber
            var subscription: Subscription
        }

        let shareName: TopicKey
        /// `$share/{ShareName}/{filter}` as the first member subscribed: what a delivery through this group remembers.
        let filter: String
        /// ``ShareStrategy/hashTopic`` while at least one member asked for it.
        private(set) var strategy = ShareStrategy.roundRobin
        /// In order of joining. Groups are small (a consumer group, a pool of workers), so a linear search on
        /// subscribe and unsubscribe is cheaper than keeping a second index in step.
        private(set) var members: [Member]
        /// The position in `members` of the member whose turn is next; always a valid position while `members` is
        /// not empty.
        private var nextTurn: Int

        init(shareName: TopicKey, filter: String, _ subscriber: Subscriber, _ subscription: Subscription) {
            self.shareName = shareName
            self.filter = filter
            self.members = [Member(subscriber: subscriber, subscription: subscription)]
            self.nextTurn = 0
            self.updateStrategy()
        }

        /// Adds `subscriber`, or replaces its options if it is already a member.
        ///
        /// - Returns: `true` if `subscriber` was already a member.
        mutating func join(_ subscriber: Subscriber, _ subscription: Subscription) -> Bool {
            if let position = self.position(of: subscriber) {
                self.members[position].subscription = subscription
                self.updateStrategy()
                return true
            }
            self.members.append(Member(subscriber: subscriber, subscription: subscription))
            self.updateStrategy()
            return false
        }

        /// Removes `subscriber`.
        ///
        /// - Returns: `true` if it was a member.
        mutating func leave(_ subscriber: Subscriber) -> Bool {
            guard let position = self.position(of: subscriber) else {
                return false
            }
            self.remove(at: position)
            self.updateStrategy()
            return true
        }

        mutating func replace(_ old: Subscriber, with new: Subscriber) -> ReplaceOutcome {
            guard let position = self.position(of: old) else {
                return .notSubscribed
            }
            self.members[position].subscriber = new
            let duplicate = self.members.indices.first { $0 != position && self.members[$0].subscriber == new }
            guard let duplicate else {
                return .moved
            }
            self.remove(at: duplicate)
            self.updateStrategy()
            return .merged
        }

        /// The member whose turn it is, passing over members in `unavailable` while an available one
        /// exists (an offline member would only queue the message while others could take it); advances
        /// the rotation past the member chosen.
        ///
        /// With ``ShareStrategy/hashTopic`` the member is the one the topic hashes to among the available members
        /// (all members if none is available), and the rotation does not move.
        mutating func takeTurn(skipping unavailable: Set<Subscriber> = [], topic: Substring = "") -> Member? {
            guard !self.members.isEmpty else {
                return nil
            }
            if self.strategy == .hashTopic {
                return self.memberForTopic(topic, skipping: unavailable)
            }
            var position = self.nextTurn
            if !unavailable.isEmpty {
                for step in 0..<self.members.count {
                    let candidate = (self.nextTurn + step) % self.members.count
                    if !unavailable.contains(self.members[candidate].subscriber) {
                        position = candidate
                        break
                    }
                }
            }
            let member = self.members[position]
            self.nextTurn = position + 1
            if self.nextTurn == self.members.count {
                self.nextTurn = 0
            }
            return member
        }

        /// The member `topic` hashes to among those not in `unavailable`, in joining order; no allocation.
        private func memberForTopic(_ topic: Substring, skipping unavailable: Set<Subscriber>) -> Member {
            let hash = ShareStrategy.topicHash(topic)
            var available = self.members.count
            if !unavailable.isEmpty {
                available = 0
                for member in self.members where !unavailable.contains(member.subscriber) {
                    available += 1
                }
            }
            guard available > 0, available < self.members.count else {
                // Everyone, or no one, can take it now: hash over all members.
                return self.members[Int(hash % UInt64(self.members.count))]
            }
            var wanted = Int(hash % UInt64(available))
            for member in self.members where !unavailable.contains(member.subscriber) {
                if wanted == 0 {
                    return member
                }
                wanted -= 1
            }
            fatalError("Internal inconsistency: fewer available members than counted")
        }

        private mutating func updateStrategy() {
            let hashed = self.members.contains { $0.subscription.options.shareStrategy == .hashTopic }
            self.strategy = hashed ? .hashTopic : .roundRobin
        }

        private func position(of subscriber: Subscriber) -> Int? {
            self.members.firstIndex { $0.subscriber == subscriber }
        }

        private mutating func remove(at position: Int) {
            self.members.remove(at: position)
            // The members after `position` moved down by one; follow the one whose turn was next.
            if position < self.nextTurn {
                self.nextTurn -= 1
            }
            if self.nextTurn >= self.members.count {
                self.nextTurn = 0
            }
        }
    }
}
