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
import Testing

@testable import SwiftletBroker

@Suite("SubscriptionIndex")
struct SubscriptionIndexTests {
    /// One row of a matching table: whether `filter` matches `topic`.
    struct TopicMatchCase: Sendable, CustomTestStringConvertible {
        var filter: String
        var topic: String
        var matches: Bool

        init(_ filter: String, _ topic: String, _ matches: Bool) {
            self.filter = filter
            self.topic = topic
            self.matches = matches
        }

        var testDescription: String {
            "\"\(self.filter)\" \(self.matches ? "matches" : "does not match") \"\(self.topic)\""
        }
    }

    // MARK: - Matching, MQTT 5 §4.7

    /// The examples of MQTT 5 §4.7.1.2 (multi-level wildcard), §4.7.1.3 (single-level wildcard), §4.7.2 (topics
    /// beginning with `$`) and §4.7.3 (case and spaces), plus empty levels.
    static let specExamples: [TopicMatchCase] = [
        // §4.7.1.2
        TopicMatchCase("sport/tennis/player1/#", "sport/tennis/player1", true),
        TopicMatchCase("sport/tennis/player1/#", "sport/tennis/player1/ranking", true),
        TopicMatchCase("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true),
        TopicMatchCase("sport/tennis/player1/#", "sport/tennis/player2", false),
        TopicMatchCase("sport/#", "sport", true),
        TopicMatchCase("#", "sport/tennis/player1", true),
        TopicMatchCase("#", "/", true),
        // §4.7.1.3
        TopicMatchCase("sport/tennis/+", "sport/tennis/player1", true),
        TopicMatchCase("sport/tennis/+", "sport/tennis/player2", true),
        TopicMatchCase("sport/tennis/+", "sport/tennis/player1/ranking", false),
        TopicMatchCase("sport/+", "sport", false),
        TopicMatchCase("sport/+", "sport/", true),
        TopicMatchCase("+/+", "/finance", true),
        TopicMatchCase("/+", "/finance", true),
        TopicMatchCase("+", "/finance", false),
        TopicMatchCase("+/tennis/#", "sport/tennis/player1/ranking", true),
        TopicMatchCase("+/tennis/#", "sport/tennis", true),
        // §4.7.2
        TopicMatchCase("#", "$SYS/monitor/Clients", false),
        TopicMatchCase("+/monitor/Clients", "$SYS/monitor/Clients", false),
        TopicMatchCase("$SYS/#", "$SYS/monitor/Clients", true),
        TopicMatchCase("$SYS/monitor/+", "$SYS/monitor/Clients", true),
        TopicMatchCase("+", "$SYS", false),
        TopicMatchCase("a/+", "a/$b", true),
        TopicMatchCase("a/#", "a/$b/c", true),
        // §4.7.3
        TopicMatchCase("ACCOUNTS", "Accounts", false),
        TopicMatchCase("Accounts payable", "Accounts payable", true),
        TopicMatchCase("Accounts/+", "accounts/x", false),
        // Empty levels are levels.
        TopicMatchCase("a//b", "a//b", true),
        TopicMatchCase("a/+/b", "a//b", true),
        TopicMatchCase("a/+/b", "a/b", false),
        TopicMatchCase("+/+/+", "//", true),
        TopicMatchCase("+/+", "//", false),
        TopicMatchCase("/#", "/", true),
        TopicMatchCase("/#", "a", false),
        TopicMatchCase("a/#", "a/", true),
        TopicMatchCase("a/#", "ab", false),
    ]

    @Test("Spec examples", arguments: Self.specExamples)
    func specExample(_ example: TopicMatchCase) {
        var index = SubscriptionIndex<Int>()
        index.subscribe(1, filter: example.filter, options: SubscriptionOptions(qos: .atMostOnce))
        #expect(index.receivers(of: example.topic) == (example.matches ? [1] : []))

        // The same filter behind a share prefix matches the same topics.
        var shared = SubscriptionIndex<Int>()
        shared.subscribe(1, filter: "$share/g/\(example.filter)", options: SubscriptionOptions(qos: .atMostOnce))
        let sharedMatches = shared.match(topic: example.topic, publisher: nil)
        #expect(sharedMatches.map(\.subscriber) == (example.matches ? [1] : []))
    }

    @Test("Topics and filters compare byte for byte, never normalized [MQTT-4.7.3-4]")
    func noNormalization() {
        let composed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        #expect(composed == decomposed, "the test needs two strings that Swift considers equal")

        var index = SubscriptionIndex<Int>()
        index.subscribe(1, filter: composed, options: SubscriptionOptions(qos: .atMostOnce))
        index.subscribe(2, filter: "menu/\(composed)/+", options: SubscriptionOptions(qos: .atMostOnce))
        index.subscribe(3, filter: decomposed, options: SubscriptionOptions(qos: .atMostOnce))

        #expect(index.exactTopicCount == 2)
        #expect(index.receivers(of: composed) == [1])
        #expect(index.receivers(of: decomposed) == [3])
        #expect(index.receivers(of: "menu/\(composed)/x") == [2])
        #expect(index.receivers(of: "menu/\(decomposed)/x") == [])
    }

    @Test("Exact and wildcard filters are kept apart")
    func exactAndWildcardCounts() {
        var index = SubscriptionIndex<Int>()
        let options = SubscriptionOptions(qos: .atMostOnce)
        index.subscribe(1, filter: "room/1", options: options)
        index.subscribe(2, filter: "room/1", options: options)
        index.subscribe(1, filter: "room/2", options: options)
        index.subscribe(1, filter: "room/+", options: options)
        index.subscribe(2, filter: "room/+", options: options)
        index.subscribe(1, filter: "#", options: options)
        index.subscribe(3, filter: "$share/g/room/1", options: options)
        index.subscribe(3, filter: "$share/g/room/#", options: options)

        #expect(index.subscriptionCount == 8)
        #expect(index.exactTopicCount == 2)
        #expect(index.wildcardFilterCount == 3)
    }

    // MARK: - Overlapping subscriptions, MQTT 5 §3.3.4

    @Test("Overlapping subscriptions fold into one match [MQTT-3.3.4-2] [MQTT-3.3.4-3] [MQTT-3.3.4-4]")
    func overlappingSubscriptionsFold() throws {
        var index = SubscriptionIndex<Int>()
        index.subscribe(1, filter: "a/b", options: SubscriptionOptions(qos: .atMostOnce, subscriptionIdentifier: 20))
        index.subscribe(1, filter: "a/+", options: SubscriptionOptions(qos: .atLeastOnce, subscriptionIdentifier: 10))
        index.subscribe(1, filter: "#", options: SubscriptionOptions(qos: .exactlyOnce, retainAsPublished: true))
        // The same identifier on two subscriptions is sent once.
        index.subscribe(1, filter: "a/#", options: SubscriptionOptions(qos: .atMostOnce, subscriptionIdentifier: 10))
        index.subscribe(2, filter: "a/b", options: SubscriptionOptions(qos: .atLeastOnce))

        let matches = index.match(topic: "a/b", publisher: nil)
        #expect(matches.count == 2)
        let first = try #require(matches.first { $0.subscriber == 1 })
        #expect(first.qos == .exactlyOnce)
        #expect(first.retainAsPublished)
        #expect(first.subscriptionIdentifiers.sorted() == [10, 20])
        #expect(!first.isShared)
        let second = try #require(matches.first { $0.subscriber == 2 })
        #expect(second == SubscriptionMatch(subscriber: 2, qos: .atLeastOnce))

        // Only what matches counts: "a/c" misses "a/b", so identifier 20 is not sent.
        let other = index.match(topic: "a/c", publisher: nil)
        #expect(
            other == [
                SubscriptionMatch(
                    subscriber: 1,
                    qos: .exactlyOnce,
                    retainAsPublished: true,
                    subscriptionIdentifiers: [10]
                )
            ]
        )
    }

    @Test("Retain As Published is set if any matching subscription asked for it")
    func retainAsPublishedFolds() {
        var index = SubscriptionIndex<Int>()
        index.subscribe(1, filter: "a/b", options: SubscriptionOptions(qos: .atMostOnce))
        index.subscribe(1, filter: "a/+", options: SubscriptionOptions(qos: .atMostOnce, retainAsPublished: true))
        index.subscribe(1, filter: "x/y", options: SubscriptionOptions(qos: .atMostOnce))

        let overlapping = index.match(topic: "a/b", publisher: nil)
        #expect(overlapping.map(\.retainAsPublished) == [true])
        let alone = index.match(topic: "x/y", publisher: nil)
        #expect(alone.map(\.retainAsPublished) == [false])
    }

    // MARK: - No Local, [MQTT-3.8.3-3]

    @Test("No Local keeps a client's own messages from it [MQTT-3.8.3-3]")
    func noLocal() throws {
        var index = SubscriptionIndex<Int>()
        index.subscribe(1, filter: "chat/room", options: SubscriptionOptions(qos: .atLeastOnce, noLocal: true))
        index.subscribe(2, filter: "chat/room", options: SubscriptionOptions(qos: .atLeastOnce, noLocal: true))

        #expect(index.receivers(of: "chat/room", publisher: 1) == [2])
        #expect(index.receivers(of: "chat/room", publisher: 2) == [1])
        #expect(index.receivers(of: "chat/room", publisher: 3) == [1, 2])
        #expect(index.receivers(of: "chat/room", publisher: nil) == [1, 2])

        // An overlapping subscription without No Local still delivers, with its own options only.
        index.subscribe(1, filter: "chat/+", options: SubscriptionOptions(qos: .atMostOnce, subscriptionIdentifier: 7))
        let own = index.match(topic: "chat/room", publisher: 1)
        #expect(own.count == 2)
        let match = try #require(own.first { $0.subscriber == 1 })
        #expect(match.qos == .atMostOnce)
        #expect(match.subscriptionIdentifiers == [7])

        // A No Local subscription that matches after another one of the same subscriber is skipped too.
        index.subscribe(
            1,
            filter: "chat/#",
            options: SubscriptionOptions(qos: .exactlyOnce, noLocal: true, subscriptionIdentifier: 8)
        )
        let folded = index.match(topic: "chat/room", publisher: 1).first { $0.subscriber == 1 }
        #expect(folded?.qos == .atMostOnce)
        #expect(folded?.subscriptionIdentifiers == [7])
        let fromOthers = index.match(topic: "chat/room", publisher: 2).first { $0.subscriber == 1 }
        #expect(fromOthers?.qos == .exactlyOnce)
        #expect(fromOthers?.subscriptionIdentifiers.sorted() == [7, 8])
    }

    // MARK: - Shared subscriptions, MQTT 5 §4.8

    @Test("Shared members take turns: 300 messages over 3 members is 100 each")
    func sharedRoundRobinIsFair() {
        var index = SubscriptionIndex<Int>()
        for member in 1...3 {
            index.subscribe(member, filter: "$share/workers/jobs/+", options: SubscriptionOptions(qos: .atLeastOnce))
        }
        var deliveries: [Int: Int] = [:]
        var order: [Int] = []
        for message in 0..<300 {
            let matches = index.match(topic: "jobs/\(message % 7)", publisher: nil)
            #expect(matches.count == 1)
            for match in matches {
                #expect(match.isShared)
                #expect(match.qos == .atLeastOnce)
                deliveries[match.subscriber, default: 0] += 1
                order.append(match.subscriber)
            }
        }
        #expect(deliveries == [1: 100, 2: 100, 3: 100])
        #expect(order.prefix(6) == [1, 2, 3, 1, 2, 3], "turns follow the order of joining")
    }

    @Test("A shared and a non-shared subscription of one subscriber are two deliveries")
    func sharedAndNonSharedOfOneSubscriber() {
        var index = SubscriptionIndex<Int>()
        index.subscribe(1, filter: "a/b", options: SubscriptionOptions(qos: .atMostOnce, subscriptionIdentifier: 1))
        index.subscribe(
            1,
            filter: "$share/g/a/b",
            options: SubscriptionOptions(qos: .exactlyOnce, subscriptionIdentifier: 2)
        )
        #expect(index.subscriptionCount == 2)

        let matches = index.match(topic: "a/b", publisher: 1)
        #expect(matches.count == 2)
        #expect(
            Set(matches) == [
                SubscriptionMatch(subscriber: 1, qos: .atMostOnce, subscriptionIdentifiers: [1]),
                SubscriptionMatch(
                    subscriber: 1, qos: .exactlyOnce, subscriptionIdentifiers: [2], sharedSubscription: "$share/g/a/b"),
            ]
        )
    }

    @Test("Each group, and each filter of a group, gets its own delivery")
    func groupsDeliverIndependently() {
        var index = SubscriptionIndex<Int>()
        let options = SubscriptionOptions(qos: .atMostOnce)
        index.subscribe(1, filter: "$share/a/t/+", options: options)
        index.subscribe(2, filter: "$share/a/t/+", options: options)
        index.subscribe(3, filter: "$share/b/t/+", options: options)
        // The same ShareName with another filter is another shared subscription.
        index.subscribe(4, filter: "$share/a/t/#", options: options)

        for _ in 0..<4 {
            let matches = index.match(topic: "t/x", publisher: nil)
            #expect(matches.count == 3)
            #expect(matches.allSatisfy { $0.isShared })
            #expect(matches.filter { $0.subscriber == 1 || $0.subscriber == 2 }.count == 1)
            #expect(matches.contains { $0.subscriber == 3 })
            #expect(matches.contains { $0.subscriber == 4 })
        }
    }

    @Test("The rotation survives members leaving and joining")
    func sharedRotationSurvivesChurn() {
        var index = SubscriptionIndex<Int>()
        let filter = "$share/g/t"
        let options = SubscriptionOptions(qos: .atMostOnce)
        for member in [1, 2, 3] {
            index.subscribe(member, filter: filter, options: options)
        }
        var turns = index.nextSharedReceivers(of: "t", count: 1)
        #expect(turns == [1])

        // The member whose turn is next leaves: the one after it takes the turn.
        index.unsubscribe(2, filter: filter)
        turns = index.nextSharedReceivers(of: "t", count: 1)
        #expect(turns == [3])

        // A member that joins queues up behind the others.
        index.subscribe(4, filter: filter, options: options)
        turns = index.nextSharedReceivers(of: "t", count: 2)
        #expect(turns == [1, 3])

        // A member before the turn leaves: nobody skips or repeats a turn.
        index.unsubscribe(1, filter: filter)
        turns = index.nextSharedReceivers(of: "t", count: 3)
        #expect(turns == [4, 3, 4])

        // The last member in the order leaves while its turn is next: the turn wraps around.
        index.unsubscribe(4, filter: filter)
        turns = index.nextSharedReceivers(of: "t", count: 2)
        #expect(turns == [3, 3])

        // Subscribing again replaces the options and keeps the place.
        index.subscribe(5, filter: filter, options: options)
        let replaced = index.subscribe(3, filter: filter, options: SubscriptionOptions(qos: .exactlyOnce))
        #expect(replaced)
        turns = index.nextSharedReceivers(of: "t", count: 3)
        #expect(turns == [3, 5, 3])
        let qosInTurn = (0..<2).compactMap { _ in index.match(topic: "t", publisher: nil).first?.qos }
        #expect(qosInTurn == [.atMostOnce, .exactlyOnce])

        index.unsubscribeAll(3, filters: [filter])
        index.unsubscribeAll(5, filters: [filter])
        let remaining = index.match(topic: "t", publisher: nil)
        #expect(remaining.isEmpty)
        #expect(index.subscriptionCount == 0)
        #expect(index.exactTopicCount == 0)
    }

    @Test("No Local does not apply to shared subscriptions [MQTT-3.8.3-4]")
    func noLocalIsNotAppliedToSharedSubscriptions() {
        var index = SubscriptionIndex<Int>()
        // The broker refuses No Local on a shared subscription before it gets here; the index still delivers.
        index.subscribe(1, filter: "$share/g/t", options: SubscriptionOptions(qos: .atMostOnce, noLocal: true))
        let matches = index.match(topic: "t", publisher: 1)
        #expect(matches.map(\.subscriber) == [1])
    }

    @Test(
        "A malformed share prefix is filed as an ordinary filter",
        arguments: ["$share//t", "$share/g+/t", "$share/g", "$share/g/"]
    )
    func malformedSharePrefix(_ filter: String) {
        var index = SubscriptionIndex<Int>()
        index.subscribe(1, filter: filter, options: SubscriptionOptions(qos: .atMostOnce))
        index.subscribe(2, filter: filter, options: SubscriptionOptions(qos: .atMostOnce))
        #expect(index.exactTopicCount == 1)
        #expect(index.receivers(of: filter) == [1, 2])
        #expect(index.receivers(of: "t") == [])
    }

    // MARK: - Updates and counts

    @Test("Subscribing again replaces the subscription [MQTT-3.8.4-3]")
    func resubscribeReplaces() throws {
        var index = SubscriptionIndex<Int>()
        var replaced = index.subscribe(1, filter: "a/+", options: SubscriptionOptions(qos: .atMostOnce))
        #expect(!replaced)
        replaced = index.subscribe(1, filter: "a/+", options: SubscriptionOptions(qos: .exactlyOnce))
        #expect(replaced)
        replaced = index.subscribe(1, filter: "$share/g/a/+", options: SubscriptionOptions(qos: .atMostOnce))
        #expect(!replaced, "a shared subscription is another subscription")
        replaced = index.subscribe(1, filter: "$share/g/a/+", options: SubscriptionOptions(qos: .atLeastOnce))
        #expect(replaced)
        #expect(index.subscriptionCount == 2)
        #expect(index.wildcardFilterCount == 1)

        let matches = index.match(topic: "a/b", publisher: nil)
        let direct = try #require(matches.first { !$0.isShared })
        let shared = try #require(matches.first { $0.isShared })
        #expect(direct.qos == .exactlyOnce)
        #expect(shared.qos == .atLeastOnce)
    }

    @Test("Unsubscribing everything prunes the trie and brings every count back to zero")
    func unsubscribePrunes() {
        var index = SubscriptionIndex<Int>()
        let filters = [
            "a/b/c", "a/+/c", "a/+", "a/#", "+/+/+", "#", "/+", "+//#", "$SYS/#", "$share/g/a/+/c", "$share/h/#",
            "$share/g/x/y",
        ]
        for subscriber in 1...3 {
            for filter in filters {
                index.subscribe(subscriber, filter: filter, options: SubscriptionOptions(qos: .atMostOnce))
            }
        }
        #expect(index.subscriptionCount == 3 * filters.count)
        // "a/b/c" and "x/y"; the shared "a/+/c" and "#" share their trie entries with the non-shared ones.
        #expect(index.exactTopicCount == 2)
        #expect(index.wildcardFilterCount == 8)
        #expect(index.wildcardTrieNodeCount > 1)

        var removed = index.unsubscribe(4, filter: "a/+/c")
        #expect(!removed, "never subscribed")
        removed = index.unsubscribe(1, filter: "a/+/d")
        #expect(!removed, "no such filter")
        removed = index.unsubscribe(1, filter: "$share/other/a/+/c")
        #expect(!removed, "no such group")
        #expect(index.subscriptionCount == 3 * filters.count)

        // Removing a filter leaves the filters on the same path alone, and the shared subscriptions to it too.
        for subscriber in 1...3 {
            removed = index.unsubscribe(subscriber, filter: "a/+/c")
            #expect(removed)
        }
        #expect(index.receivers(of: "a/b") == [1, 2, 3])
        let shared = index.match(topic: "a/b/c", publisher: nil).filter(\.isShared)
        #expect(shared.count == 2, "$share/g/a/+/c and $share/h/#")
        #expect(index.wildcardFilterCount == 8)

        for subscriber in 1...3 {
            index.unsubscribeAll(subscriber, filters: filters)
        }
        #expect(index.subscriptionCount == 0)
        #expect(index.exactTopicCount == 0)
        #expect(index.wildcardFilterCount == 0)
        #expect(index.wildcardTrieNodeCount == 1)
        #expect(index.receivers(of: "a/b/c") == [])

        // The index works as new afterwards.
        index.subscribe(1, filter: "a/+/c", options: SubscriptionOptions(qos: .atMostOnce))
        #expect(index.receivers(of: "a/b/c") == [1])
        #expect(index.wildcardTrieNodeCount == 4)
    }

    @Test("replace() hands subscriptions to a new handle with their options and shared place")
    func replaceMovesSubscriptions() {
        var index = SubscriptionIndex<String>()
        let filters = ["room/1", "room/+", "$share/g/jobs"]
        index.subscribe("old", filter: "room/1", options: SubscriptionOptions(qos: .atLeastOnce, noLocal: true))
        index.subscribe(
            "old",
            filter: "room/+",
            options: SubscriptionOptions(qos: .atMostOnce, subscriptionIdentifier: 9)
        )
        for member in ["a", "old", "b"] {
            index.subscribe(member, filter: "$share/g/jobs", options: SubscriptionOptions(qos: .atMostOnce))
        }
        var turns = index.nextSharedReceivers(of: "jobs", count: 1)
        #expect(turns == ["a"])

        index.replace("old", with: "new", filters: filters)
        #expect(index.subscriptionCount == 5)
        let fromOthers = index.match(topic: "room/1", publisher: "old")
        #expect(fromOthers == [SubscriptionMatch(subscriber: "new", qos: .atLeastOnce, subscriptionIdentifiers: [9])])
        // No Local now applies to the new handle.
        let fromItself = index.match(topic: "room/1", publisher: "new")
        #expect(fromItself == [SubscriptionMatch(subscriber: "new", qos: .atMostOnce, subscriptionIdentifiers: [9])])
        // "old" had the next turn in the group; "new" has it now.
        turns = index.nextSharedReceivers(of: "jobs", count: 3)
        #expect(turns == ["new", "b", "a"])
        let removed = index.unsubscribe("old", filter: "room/1")
        #expect(!removed)

        // Onto a handle that already has a subscription to the filter: one remains, with the options and the place
        // of the handle that moved.
        index.subscribe("other", filter: "room/+", options: SubscriptionOptions(qos: .exactlyOnce))
        index.subscribe("other", filter: "$share/g/jobs", options: SubscriptionOptions(qos: .exactlyOnce))
        #expect(index.subscriptionCount == 7)
        index.replace("other", with: "new", filters: ["room/+", "$share/g/jobs"])
        #expect(index.subscriptionCount == 5)
        let merged = index.match(topic: "room/2", publisher: nil)
        #expect(merged == [SubscriptionMatch(subscriber: "new", qos: .exactlyOnce)])
        turns = index.nextSharedReceivers(of: "jobs", count: 3)
        #expect(turns == ["b", "new", "a"], "the order is now a, b, new, and b's turn was next")

        // Replacing with itself changes nothing.
        index.replace("new", with: "new", filters: filters)
        #expect(index.subscriptionCount == 5)
    }

    // MARK: - Against a reference

    @Test("match agrees with a brute-force matcher over random filters and topics", arguments: [1, 2, 3] as [UInt64])
    func agreesWithReference(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var model = ReferenceModel()
        var index = SubscriptionIndex<Int>()

        /// Subscribes, resubscribes or unsubscribes at random, in the index and in the model.
        func changeSubscriptions() {
            if !model.subscriptions.isEmpty, random.next(upperBound: 10) < 3 {
                let key = model.subscriptions.keys.sorted()[random.next(upperBound: model.subscriptions.count)]
                let removed = index.unsubscribe(key.subscriber, filter: key.filter)
                #expect(removed)
                model.subscriptions[key] = nil
            } else {
                let subscription = ReferenceSubscription.random(using: &random)
                let replaced = index.subscribe(
                    subscription.subscriber,
                    filter: subscription.filter,
                    options: subscription.options
                )
                #expect(replaced == (model.subscriptions[subscription.key] != nil))
                model.subscriptions[subscription.key] = subscription
            }
        }

        for _ in 0..<1_500 {
            changeSubscriptions()
        }
        var failures = 0
        for _ in 0..<1_000 where failures < 5 {
            if random.next(upperBound: 3) == 0 {
                changeSubscriptions()
            }
            let topic = ReferenceSubscription.randomTopic(using: &random)
            let publisher =
                random.next(upperBound: 4) == 0 ? nil : random.next(upperBound: ReferenceSubscription.subscribers)
            let matches = index.match(topic: topic, publisher: publisher)
            if !model.check(matches, topic: topic, publisher: publisher) {
                failures += 1
            }
        }
        #expect(failures == 0)
        #expect(index.subscriptionCount == model.subscriptions.count)
        #expect(index.exactTopicCount == model.exactTopicCount)
        #expect(index.wildcardFilterCount == model.wildcardFilterCount)

        // Take everything down again, half one by one and half per subscriber.
        let keys = model.subscriptions.keys.sorted()
        for key in keys where key.subscriber.isMultiple(of: 2) {
            let removed = index.unsubscribe(key.subscriber, filter: key.filter)
            #expect(removed)
        }
        for subscriber in 0..<ReferenceSubscription.subscribers where !subscriber.isMultiple(of: 2) {
            index.unsubscribeAll(subscriber, filters: keys.filter { $0.subscriber == subscriber }.map(\.filter))
        }
        #expect(index.subscriptionCount == 0)
        #expect(index.exactTopicCount == 0)
        #expect(index.wildcardFilterCount == 0)
        #expect(index.wildcardTrieNodeCount == 1)
    }
}

// MARK: - Helpers

extension SubscriptionIndex where Subscriber: Comparable {
    /// The subscribers with a non-shared match for `topic`, sorted.
    ///
    /// Looks up a copy, so that it can sit inside `#expect`; that leaves shared rotations where they were, and
    /// shared matches out.
    fileprivate func receivers(of topic: String, publisher: Subscriber? = nil) -> [Subscriber] {
        var copy = self
        return copy.match(topic: topic, publisher: publisher).filter { !$0.isShared }.map(\.subscriber).sorted()
    }
}

extension SubscriptionIndex {
    /// The members chosen by the next `count` publishes to `topic`, which must match exactly one shared group.
    fileprivate mutating func nextSharedReceivers(of topic: String, count: Int) -> [Subscriber] {
        (0..<count).flatMap { _ in
            self.match(topic: topic, publisher: nil).filter(\.isShared).map(\.subscriber)
        }
    }
}

/// SplitMix64: a small seeded generator, so that a failure reproduces from its seed.
private struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(upperBound: Int) -> Int {
        Int(self.next(upperBound: UInt64(upperBound)))
    }
}

/// One subscription of the reference model, with the parts of its filter spelled out.
private struct ReferenceSubscription {
    /// A (subscriber, filter) pair. The filter is kept as bytes: `String` equality would fold the two spellings of
    /// "é" into one, which is exactly what the index must not do [MQTT-4.7.3-4].
    struct Key: Hashable, Comparable {
        var subscriber: Int
        var filterBytes: [UInt8]

        var filter: String {
            String(decoding: self.filterBytes, as: UTF8.self)
        }

        static func < (lhs: Self, rhs: Self) -> Bool {
            if lhs.subscriber != rhs.subscriber {
                return lhs.subscriber < rhs.subscriber
            }
            return lhs.filterBytes.lexicographicallyPrecedes(rhs.filterBytes)
        }
    }

    static let subscribers = 12
    /// Levels for filters and topics: empty ones, `$` ones, case, and the two spellings of "é" (NFC and NFD).
    static let levels = ["a", "b", "c", "A", "", "$SYS", "$x", "\u{E9}", "e\u{301}"]

    var subscriber: Int
    var shareName: String?
    var topicFilter: String
    var options: SubscriptionOptions

    var filter: String {
        self.shareName.map { "$share/\($0)/\(self.topicFilter)" } ?? self.topicFilter
    }

    var key: Key {
        Key(subscriber: self.subscriber, filterBytes: Array(self.filter.utf8))
    }

    var hasWildcard: Bool {
        let levels = Self.split(self.topicFilter)
        return levels.contains(Array("+".utf8)) || levels.last == Array("#".utf8)
    }

    static func random(using random: inout SplitMix64) -> Self {
        var levels: [String] = []
        for _ in 0...random.next(upperBound: 3) {
            levels.append(
                random.next(upperBound: 5) == 0 ? "+" : Self.levels[random.next(upperBound: Self.levels.count)]
            )
        }
        if random.next(upperBound: 5) == 0 {
            levels.append("#")
        }
        if random.next(upperBound: 20) == 0 {
            levels = ["#"]
        }
        // A topic filter is at least one character long [MQTT-4.7.3-1].
        if levels == [""] {
            levels = ["/"]
        }
        let isShared = random.next(upperBound: 6) == 0
        let qos = QoS(rawValue: UInt8(random.next(upperBound: 3))) ?? .atMostOnce
        return ReferenceSubscription(
            subscriber: random.next(upperBound: Self.subscribers),
            shareName: isShared ? ["g1", "g2"][random.next(upperBound: 2)] : nil,
            topicFilter: levels.joined(separator: "/"),
            options: SubscriptionOptions(
                qos: qos,
                noLocal: !isShared && random.next(upperBound: 5) == 0,
                retainAsPublished: random.next(upperBound: 3) == 0,
                subscriptionIdentifier: random.next(upperBound: 2) == 0 ? UInt32(1 + random.next(upperBound: 5)) : nil
            )
        )
    }

    static func randomTopic(using random: inout SplitMix64) -> String {
        (0...random.next(upperBound: 4)).map { _ in Self.levels[random.next(upperBound: Self.levels.count)] }
            .joined(separator: "/")
    }

    static func split(_ text: String) -> [[UInt8]] {
        text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map(Array.init)
    }

    /// MQTT 5 §4.7, level by level over bytes, written as plainly as possible.
    func matches(_ topic: String) -> Bool {
        let filter = Self.split(self.topicFilter)
        let topicLevels = Self.split(topic)
        let plus = Array("+".utf8)
        let hash = Array("#".utf8)
        if topic.utf8.first == UInt8(ascii: "$"), filter[0] == plus || filter[0] == hash {
            return false
        }
        for (position, level) in filter.enumerated() {
            if level == hash, position == filter.count - 1 {
                return true
            }
            if position >= topicLevels.count {
                return false
            }
            if level != plus, level != topicLevels[position] {
                return false
            }
        }
        return filter.count == topicLevels.count
    }
}

/// The subscriptions as plain data, and what a publish should find in them.
private struct ReferenceModel {
    var subscriptions: [ReferenceSubscription.Key: ReferenceSubscription] = [:]

    var exactTopicCount: Int {
        Set(self.subscriptions.values.filter { !$0.hasWildcard }.map { Array($0.topicFilter.utf8) }).count
    }

    var wildcardFilterCount: Int {
        Set(self.subscriptions.values.filter(\.hasWildcard).map { Array($0.topicFilter.utf8) }).count
    }

    /// Checks the matches of one publish against the model, recording an issue for each difference.
    func check(_ matches: [SubscriptionMatch<Int>], topic: String, publisher: Int?) -> Bool {
        let matching = self.subscriptions.values.filter { $0.matches(topic) }

        var expected: [Int: (qos: QoS, retainAsPublished: Bool, identifiers: Set<UInt32>)] = [:]
        for subscription in matching where subscription.shareName == nil {
            if subscription.options.noLocal, subscription.subscriber == publisher {
                continue
            }
            var folded = expected[subscription.subscriber] ?? (.atMostOnce, false, [])
            folded.qos = max(folded.qos, subscription.options.qos)
            folded.retainAsPublished = folded.retainAsPublished || subscription.options.retainAsPublished
            if let identifier = subscription.options.subscriptionIdentifier {
                folded.identifiers.insert(identifier)
            }
            expected[subscription.subscriber] = folded
        }

        var passed = true
        let nonShared = matches.filter { !$0.isShared }
        if nonShared.count != expected.count || Set(nonShared.map(\.subscriber)).count != nonShared.count {
            Issue.record("\(topic): \(nonShared.map(\.subscriber).sorted()) but expected \(expected.keys.sorted())")
            passed = false
        }
        for match in nonShared {
            guard let folded = expected[match.subscriber] else {
                Issue.record("\(topic): unexpected match \(match)")
                passed = false
                continue
            }
            if match.qos != folded.qos || match.retainAsPublished != folded.retainAsPublished
                || Set(match.subscriptionIdentifiers) != folded.identifiers
                || match.subscriptionIdentifiers.count != folded.identifiers.count
            {
                Issue.record("\(topic): \(match) but expected \(folded)")
                passed = false
            }
        }

        // One delivery per matching (ShareName, filter), to one of its members.
        var groups: [[UInt8]: Set<Int>] = [:]
        for subscription in matching {
            if subscription.shareName != nil {
                groups[Array(subscription.filter.utf8), default: []].insert(subscription.subscriber)
            }
        }
        let shared = matches.filter(\.isShared)
        let members = groups.values.reduce(into: Set<Int>()) { $0.formUnion($1) }
        if shared.count != groups.count || !shared.allSatisfy({ members.contains($0.subscriber) }) {
            Issue.record("\(topic): shared \(shared.map(\.subscriber)) but expected one of each of \(groups)")
            passed = false
        }
        return passed
    }
}
