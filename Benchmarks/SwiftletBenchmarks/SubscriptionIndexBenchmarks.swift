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
import Benchmark
import Logging
import NIOCore
import NIOEmbedded
import SwiftletBroker
import SwiftletMQTT

/// Match calls per run of an index benchmark, cycling over the topics of many rooms.
private let matchesPerRun = 1000

/// 100,000 subscriptions in one index, the mix of a live-room deployment (DESIGN §5):
/// - 90,000 exact: 900 live rooms `live/room-NNNN/danmaku` with 100 viewers each;
/// - 10,000 wildcard: 1,000 chat rooms `chat/room-NNNN/#` with 5 room backends each, 10
///   moderators on `chat/+/messages`, and 4,990 users on their inbox `users/user-NNNN/+`.
/// No wildcard filter covers a live room, so a danmaku publish is one hash lookup plus a trie walk
/// that stops at the root; a chat publish is a trie walk that matches two filters.
private final class IndexFixture {
    static let liveRooms = 900
    static let viewersPerLiveRoom = 100
    static let chatRooms = 1000
    static let backendsPerChatRoom = 5
    static let moderators = 10
    static let inboxUsers = 4990

    /// The broker's own index type, with the broker's subscriber type, so the code measured is the
    /// specialisation the broker runs.
    var index: SubscriptionIndex<SessionHandle>
    let liveTopics: [String]
    let chatTopics: [String]
    /// Keeps the sessions' loop alive; the index holds the sessions.
    private let loop: EmbeddedEventLoop

    init() {
        let loop = EmbeddedEventLoop()
        var index = SubscriptionIndex<SessionHandle>()
        var logger = Logger(label: "benchmark")
        logger.logLevel = .critical
        let broker = Broker(configuration: BrokerConfiguration(), logger: logger)
        var sessionCount = 0
        func session() -> SessionHandle {
            // Sessions made the broker's way; on an EmbeddedEventLoop the future is already there.
            sessionCount += 1
            return try! broker.openSession(clientID: "c\(sessionCount)", cleanStart: true, on: loop).wait().session
        }
        let qos0 = SubscriptionOptions(qos: .atMostOnce)

        // 10,000 distinct viewers, each in 9 of the live rooms: the per-room sets overlap, as they
        // do when people watch several rooms.
        let viewers = (0..<10_000).map { _ in session() }
        var liveTopics: [String] = []
        for room in 0..<Self.liveRooms {
            let topic = "live/room-\(room)/danmaku"
            liveTopics.append(topic)
            for viewer in 0..<Self.viewersPerLiveRoom {
                let subscriber = viewers[(room * Self.viewersPerLiveRoom + viewer) % viewers.count]
                index.subscribe(subscriber, filter: topic, options: qos0)
            }
        }
        var chatTopics: [String] = []
        let backends = (0..<Self.backendsPerChatRoom).map { _ in session() }
        for room in 0..<Self.chatRooms {
            chatTopics.append("chat/room-\(room)/messages")
            for backend in backends {
                index.subscribe(backend, filter: "chat/room-\(room)/#", options: qos0)
            }
        }
        for _ in 0..<Self.moderators {
            index.subscribe(session(), filter: "chat/+/messages", options: qos0)
        }
        for user in 0..<Self.inboxUsers {
            index.subscribe(session(), filter: "users/user-\(user)/+", options: qos0)
        }
        precondition(index.subscriptionCount == 100_000, "\(index.subscriptionCount) subscriptions")
        self.index = index
        self.liveTopics = liveTopics
        self.chatTopics = chatTopics
        self.loop = loop
    }
}

func subscriptionIndexBenchmarks() {
    // Built on first use only: package-benchmark runs this registration in every process it
    // starts, also for the benchmarks that do not need the index.
    var fixture: IndexFixture?

    // Counts the mallocs of `matchesPerRun` calls of `SubscriptionIndex.match(topic:publisher:)`
    // to live-room topics (100 exact matches each). Expected: the one array of matches returned.
    Benchmark("Index.match.100k.exactRoom", configuration: .init(scalingFactor: .kilo)) { benchmark in
        if fixture == nil { fixture = IndexFixture() }
        let fixture = fixture!
        let topics = fixture.liveTopics
        benchmark.startMeasurement()
        for call in 0..<matchesPerRun {
            let matches = fixture.index.match(topic: topics[call % topics.count], publisher: nil)
            blackHole(matches)
        }
        benchmark.stopMeasurement()
    }

    // Counts the mallocs of `matchesPerRun` calls of `SubscriptionIndex.match(topic:publisher:)`
    // to chat-room topics: 15 matches from two wildcard filters each (5 room backends on
    // `chat/room-N/#`, 10 moderators on `chat/+/messages`).
    Benchmark("Index.match.100k.wildcard", configuration: .init(scalingFactor: .kilo)) { benchmark in
        if fixture == nil { fixture = IndexFixture() }
        let fixture = fixture!
        let topics = fixture.chatTopics
        benchmark.startMeasurement()
        for call in 0..<matchesPerRun {
            let matches = fixture.index.match(topic: topics[call % topics.count], publisher: nil)
            blackHole(matches)
        }
        benchmark.stopMeasurement()
    }
}
