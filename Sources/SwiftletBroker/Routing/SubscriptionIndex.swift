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

/// Every subscription the broker holds, arranged so that a publish finds all of its receivers in one lookup
/// (DESIGN §4 rule 2).
///
/// Filters without wildcards, the topics of chat and live rooms, sit in a hash table keyed by the topic; a publish
/// to a room is one hash lookup. Filters with `+` or `#` sit in a trie keyed by topic level, walked once per
/// publish. ``match(topic:publisher:)`` consults both and returns one array for the whole publish.
///
/// Matching follows MQTT 5 §4.7 and §4.8:
/// - `+` matches exactly one level, an empty one included; `#` matches any number of levels, the parent level
///   included (`a/#` matches `a`); empty levels, such as a leading `/`, are levels like any other.
/// - A filter starting with `+` or `#` does not match a topic starting with `$` [MQTT-4.7.2-1].
/// - Topics and filters compare byte for byte, never normalized [MQTT-4.7.3-4].
/// - The non-shared subscriptions of one subscriber that match a topic fold into one match with the maximum QoS
///   and all their Subscription Identifiers [MQTT-3.3.4-2] [MQTT-3.3.4-3] [MQTT-3.3.4-4].
/// - A shared subscription `$share/{ShareName}/{filter}` delivers each matching message to one member of its
///   group, round-robin or by topic hash (``ShareStrategy``), as a match of its own.
///
/// The index has no lock of its own. The broker keeps it in a `Mutex` that it holds for a lookup or an update, and
/// never while it delivers (DESIGN §4 rule 2). ``match(topic:publisher:)`` is `mutating` because shared groups
/// rotate, so even lookups take the lock exclusively.
///
/// The index does not validate filters: the broker rejects invalid ones before they get here (see
/// `ParsedSubscriptionFilter` for how the index files one that slips through).
package struct SubscriptionIndex<Subscriber: Hashable & Sendable>: Sendable {
    /// Filters without wildcards, by topic.
    /// Readable by the admin queries (SubscriptionIndex+Topics.swift).
    private(set) var exactFilters: [TopicKey: FilterSubscribers] = [:]
    /// Filters with wildcards.
    private var wildcardFilters = WildcardTrie()

    /// The number of (subscriber, filter) pairs, a shared subscription counting once per member.
    package private(set) var subscriptionCount = 0
    /// Subscribers marked unable to take messages now (``setAvailable(_:_:)``).
    package private(set) var unavailable: Set<Subscriber> = []

    /// The number of distinct topics with a subscription to them by a filter without wildcards (a room).
    package var exactTopicCount: Int {
        self.exactFilters.count
    }

    /// The number of distinct filters with wildcards that have at least one subscription.
    package var wildcardFilterCount: Int {
        self.wildcardFilters.filterCount
    }

    /// The number of live nodes in the wildcard trie, the root included; 1 when it is empty.
    var wildcardTrieNodeCount: Int {
        self.wildcardFilters.nodeCount
    }

    package init() {}

    /// Adds the subscription of `subscriber` to `filter`, or replaces it if there is one [MQTT-3.8.4-3].
    ///
    /// - Parameters:
    ///   - subscriber: Who subscribes.
    ///   - filter: The filter as sent in SUBSCRIBE, possibly `$share/{ShareName}/{filter}`.
    ///   - options: The options of the subscription.
    /// - Returns: `true` if `subscriber` already had a subscription to exactly this filter, now replaced.
    @discardableResult
    package mutating func subscribe(_ subscriber: Subscriber, filter: String, options: SubscriptionOptions) -> Bool {
        let parsed = ParsedSubscriptionFilter(filter)
        let replaced =
            self.modifySubscribers(of: parsed, createPath: true) {
                $0.subscribe(subscriber, shareName: parsed.shareName, filter: filter, options: options)
            } ?? false
        if !replaced {
            self.subscriptionCount += 1
        }
        return replaced
    }

    /// Removes the subscription of `subscriber` to `filter`.
    ///
    /// - Parameters:
    ///   - subscriber: Who unsubscribes.
    ///   - filter: The filter as sent in UNSUBSCRIBE, possibly `$share/{ShareName}/{filter}`.
    /// - Returns: `true` if there was such a subscription.
    @discardableResult
    package mutating func unsubscribe(_ subscriber: Subscriber, filter: String) -> Bool {
        let parsed = ParsedSubscriptionFilter(filter)
        let removed =
            self.modifySubscribers(of: parsed, createPath: false) {
                $0.unsubscribe(subscriber, shareName: parsed.shareName)
            } ?? false
        if removed {
            self.subscriptionCount -= 1
        }
        return removed
    }

    /// Removes the subscriptions of `subscriber` to each of `filters`, for a session that ends.
    ///
    /// The index keeps no table from subscriber to filters; the session knows its own.
    ///
    /// - Parameters:
    ///   - subscriber: Whose subscriptions to remove.
    ///   - filters: The filters of the session's subscriptions, as sent in SUBSCRIBE.
    package mutating func unsubscribeAll(_ subscriber: Subscriber, filters: some Sequence<String>) {
        for filter in filters {
            self.unsubscribe(subscriber, filter: filter)
        }
        self.unavailable.remove(subscriber)
    }

    /// Marks a subscriber as able or unable to take messages now (a session with or without a
    /// connection). Shared groups give an unavailable member's turn to an available one
    /// (MQTT 5 §4.8.2 leaves the choice of member to the server); other matches are unaffected.
    package mutating func setAvailable(_ subscriber: Subscriber, _ available: Bool) {
        if available {
            self.unavailable.remove(subscriber)
        } else {
            self.unavailable.insert(subscriber)
        }
    }

    /// Hands the subscriptions of `old` to `new`, for a session that moves to a new handle (a client that
    /// reconnects to its persistent session).
    ///
    /// The subscriptions keep their options, and their place in the rotation of a shared group. If `new` already
    /// has a subscription to one of `filters`, the one of `old` replaces it.
    ///
    /// - Parameters:
    ///   - old: The handle the subscriptions belong to now.
    ///   - new: The handle to give them to.
    ///   - filters: The filters of the session's subscriptions, as sent in SUBSCRIBE.
    /// - Returns: The filters where `new` already had a subscription, so that there is one subscription fewer.
    @discardableResult
    package mutating func replace(_ old: Subscriber, with new: Subscriber, filters: some Sequence<String>) -> [String] {
        guard old != new else {
            return []
        }
        var merged: [String] = []
        for filter in filters {
            let parsed = ParsedSubscriptionFilter(filter)
            let outcome = self.modifySubscribers(of: parsed, createPath: false) {
                $0.replace(old, with: new, shareName: parsed.shareName)
            }
            if outcome == .merged {
                self.subscriptionCount -= 1
                merged.append(filter)
            }
        }
        return merged
    }

    /// Finds every delivery a message published to `topic` owes, in one lookup.
    ///
    /// Each subscriber with matching non-shared subscriptions gets one match that folds them all; each shared
    /// group with a matching filter gets one match for the member whose turn it is, and the turn passes on. The
    /// order of the matches is unspecified.
    ///
    /// - Parameters:
    ///   - topic: The topic name of the PUBLISH, without wildcards [MQTT-3.3.2-2].
    ///   - publisher: The subscriber handle of the publishing client, if it has one, for No Local
    ///     [MQTT-3.8.3-3]; `nil` for a message from the broker or a backend.
    /// - Returns: The deliveries, at most one non-shared match per subscriber.
    package mutating func match(topic: String, publisher: Subscriber?) -> [SubscriptionMatch<Subscriber>] {
        var collector = MatchCollector()
        collector.unavailable = self.unavailable
        let topic = topic[...]
        collector.topic = topic
        // The hash lookup that serves a room. Reached by position so that a shared group rotates in place.
        if let position = self.exactFilters.index(forKey: TopicKey(topic)) {
            self.exactFilters.values[position].collectMatches(publisher: publisher, into: &collector)
        }
        if self.wildcardFilters.filterCount > 0 {
            self.wildcardFilters.collectMatches(topic: topic, publisher: publisher, into: &collector)
        }
        return collector.matches
    }

    /// Runs `body` on the subscribers of the filter `filter` names, in the hash table or in the trie, and drops a
    /// filter that `body` leaves without subscribers.
    ///
    /// - Returns: What `body` returned, or `nil` if the filter has no subscribers and `createPath` is `false`.
    mutating func modifySubscribers<Result>(
        of filter: ParsedSubscriptionFilter,
        createPath: Bool,
        _ body: (inout FilterSubscribers) -> Result
    ) -> Result? {
        if filter.hasWildcard {
            return self.wildcardFilters.modifySubscribers(of: filter.topicFilter, createPath: createPath, body)
        }
        if let position = self.exactFilters.index(forKey: TopicKey(filter.topicFilter)) {
            let result = body(&self.exactFilters.values[position])
            if self.exactFilters.values[position].isEmpty {
                self.exactFilters.remove(at: position)
                if self.exactFilters.isEmpty {
                    // A dictionary never shrinks by itself; let go of the storage once the last room is gone.
                    self.exactFilters = [:]
                }
            }
            return result
        }
        guard createPath else {
            return nil
        }
        var subscribers = FilterSubscribers()
        let result = body(&subscribers)
        if !subscribers.isEmpty {
            self.exactFilters[TopicKey(copying: filter.topicFilter)] = subscribers
        }
        return result
    }
}
