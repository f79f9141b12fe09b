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

/// The journal that keeps every event loop's copy of the subscription index in step with the
/// writers' (issue 12: no lock on the publish path), on plain values.
@Suite("Subscription journal")
struct SubscriptionJournalTests {
    /// A loop's copy as the router keeps it: an index and the version it applied.
    private struct Copy {
        var replica: Int
        var index: SubscriptionIndex<Int>
        var version: UInt64

        init(_ journal: inout SubscriptionJournal<Int>) {
            (replica, index, version) = journal.addReplica()
        }

        mutating func catchUp(_ journal: inout SubscriptionJournal<Int>) {
            for change in journal.fetch(replica: replica, after: version) {
                index.apply(change)
            }
            version = journal.version
        }
    }

    /// What a match says, in an order-free form that two copies can be compared on.
    private func deliveries(_ index: inout SubscriptionIndex<Int>, topic: String) -> [String] {
        index.match(topic: topic, publisher: nil).map {
            "\($0.subscriber) q\($0.qos.rawValue) ids\($0.subscriptionIdentifiers.sorted()) \($0.sharedSubscription ?? "-")"
        }.sorted()
    }

    @Test("A copy that replays the journal matches as the writers' index does, whenever it catches up")
    func copiesConverge() {
        var journal = SubscriptionJournal<Int>()
        var early = Copy(&journal)
        var random = SplitMix64(seed: 12)
        let filters = ["a/b", "a/+", "a/#", "#", "+/b", "c", "$share/g/a/b", "$share/h/a/#", "a/b/c"]
        let topics = ["a/b", "a/c", "a", "c", "a/b/c", "x/b"]
        var late: Copy?
        for step in 0..<2_000 {
            let subscriber = Int(random.next() % 12)
            let filter = filters[Int(random.next() % UInt64(filters.count))]
            switch random.next() % 6 {
            case 0, 1:
                let qos = QoS(rawValue: UInt8(random.next() % 3))!
                journal.subscribe(
                    subscriber, filter: filter,
                    options: SubscriptionOptions(qos: qos, subscriptionIdentifier: UInt32(random.next() % 3)))
            case 2:
                journal.unsubscribe(subscriber, filter: filter)
            case 3:
                journal.setAvailable(subscriber, random.next() % 2 == 0)
            case 4:
                journal.replace(subscriber, with: Int(random.next() % 12), filters: [filter, filters[0]])
            default:
                journal.unsubscribeAll(subscriber, filters: filters.filter { _ in random.next() % 2 == 0 })
            }
            if step == 700 { late = Copy(&journal) }
            // The early copy catches up now and then, the late one only at the end.
            if random.next() % 7 == 0 { early.catchUp(&journal) }
        }
        early.catchUp(&journal)
        late!.catchUp(&journal)
        #expect(journal.pendingCount == 0)
        var writers = journal.index
        var lateCopy = late!
        for topic in topics {
            // Shared groups rotate per copy, so only the non-shared deliveries compare exactly.
            let expected = deliveries(&writers, topic: topic).filter { $0.hasSuffix(" -") }
            let fromEarly = deliveries(&early.index, topic: topic).filter { $0.hasSuffix(" -") }
            let fromLate = deliveries(&lateCopy.index, topic: topic).filter { $0.hasSuffix(" -") }
            #expect(fromEarly == expected)
            #expect(fromLate == expected)
        }
        #expect(early.index.subscriptionCount == journal.index.subscriptionCount)
        #expect(late!.index.subscriptionCount == journal.index.subscriptionCount)
        #expect(early.index.unavailable == journal.index.unavailable)
    }

    @Test("A change is kept until every copy fetched it, then forgotten")
    func changesForgottenOnceFetched() {
        var journal = SubscriptionJournal<Int>()
        var first = Copy(&journal)
        var second = Copy(&journal)
        journal.subscribe(1, filter: "room/1", options: SubscriptionOptions(qos: .atMostOnce))
        journal.subscribe(2, filter: "room/1", options: SubscriptionOptions(qos: .atLeastOnce))
        #expect(journal.version == 2)
        #expect(journal.pendingCount == 2)
        first.catchUp(&journal)
        #expect(journal.pendingCount == 2)
        journal.unsubscribe(1, filter: "room/1")
        #expect(journal.pendingCount == 3)
        second.catchUp(&journal)
        // The second copy fetched all three; the first still lacks the last one.
        #expect(journal.pendingCount == 1)
        first.catchUp(&journal)
        #expect(journal.pendingCount == 0)
        let fromFirst = deliveries(&first.index, topic: "room/1")
        let fromSecond = deliveries(&second.index, topic: "room/1")
        #expect(fromFirst == ["2 q1 ids[] -"])
        #expect(fromSecond == ["2 q1 ids[] -"])
    }

    @Test("Without copies nothing is kept; a copy made later starts from the writers' index")
    func noCopiesNoJournal() {
        var journal = SubscriptionJournal<Int>()
        journal.subscribe(1, filter: "room/+", options: SubscriptionOptions(qos: .atMostOnce))
        journal.subscribe(2, filter: "room/1", options: SubscriptionOptions(qos: .atMostOnce))
        #expect(journal.pendingCount == 0)
        var copy = Copy(&journal)
        #expect(copy.version == 2)
        let before = deliveries(&copy.index, topic: "room/1")
        #expect(before == ["1 q0 ids[] -", "2 q0 ids[] -"])
        journal.unsubscribe(2, filter: "room/1")
        copy.catchUp(&journal)
        let after = deliveries(&copy.index, topic: "room/1")
        #expect(after == ["1 q0 ids[] -"])
    }

    @Test("What changes nothing is not recorded: copies are not woken for it")
    func noOpsNotRecorded() {
        var journal = SubscriptionJournal<Int>()
        _ = Copy(&journal)
        let removed = journal.unsubscribe(1, filter: "nothing/here")
        #expect(!removed)
        journal.setAvailable(1, true)  // available already
        journal.unsubscribeAll(1, filters: [String]())
        #expect(journal.version == 0)
        journal.setAvailable(1, false)
        journal.setAvailable(1, false)
        #expect(journal.version == 1)
    }
}
