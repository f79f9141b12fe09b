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
import NIOCore
import NIOEmbedded
import SwiftletBroker
import SwiftletMQTT
import Testing

/// Behaviours fixed after the spec review of the broker core; each test failed before its fix.
@Suite("Spec review fixes")
struct ReviewFixTests {
    @Test("A client without Receive Maximum gets at most the broker's inflight window")
    func outboundWindowIsCapped() throws {
        let broker = TestBroker { $0.maxInflight = 3 }
        let subscriber = try broker.connected("sub")  // no Receive Maximum: 65,535 by default
        try subscriber.subscribe("room", qos: .atLeastOnce)
        let publisher = try broker.connected("pub")
        for id in UInt16(1)...5 {
            try publisher.publish("room", "m\(id)", qos: .atLeastOnce, packetID: id)
        }
        // Sending fewer than the client allows is always allowed (MQTT 5 §4.9), and it bounds
        // what one session holds in flight (DESIGN §4.6).
        let first = try subscriber.publishes()
        #expect(first.map(\.payloadString) == ["m1", "m2", "m3"])
        try subscriber.puback(try #require(first[0].packetID))
        #expect(try subscriber.publishes().map(\.payloadString) == ["m4"])
    }

    @Test("DISCONNECT with an error reason code still publishes the will")
    func willAfterErrorDisconnect() throws {
        let broker = TestBroker()
        let watcher = try broker.connected("watcher")
        try watcher.subscribe("wills/#")
        let client = try broker.client(.v5)
        try client.connect(
            clientID: "w", will: WillMessage(topic: "wills/w", payload: ByteBuffer(string: "gone"), qos: .atMostOnce, retain: false))
        // Only 0x00 deletes the will [MQTT-3.1.2-8] [MQTT-3.1.2-10].
        try client.disconnect(.unspecifiedError)
        #expect(try watcher.nextPublish().payloadString == "gone")
    }

    @Test("A refused subscription carries a reason string unless the client opted out")
    func subackReasonString() throws {
        let broker = TestBroker()
        let alice = try broker.connected("alice")
        let suback = try alice.subscribe("chat/p2p/bob", qos: .atLeastOnce)
        #expect(suback.reasonCodes == [.notAuthorized])
        #expect(suback.properties.reasonString?.contains("p2p") == true)

        let quiet = try broker.connected("quiet", properties: [.requestProblemInformation(0)])
        let quietAck = try quiet.subscribe("chat/p2p/bob", qos: .atLeastOnce)
        #expect(quietAck.reasonCodes == [.notAuthorized])
        #expect(quietAck.properties.reasonString == nil)  // [MQTT-3.1.2-29]
    }

    @Test("UNSUBSCRIBE of an invalid filter answers 0x8F")
    func unsubscribeInvalidFilter() throws {
        let broker = TestBroker()
        let client = try broker.connected("c")
        try client.send(.unsubscribe(UnsubscribePacket(packetID: 7, topicFilters: ["a/#/b", "a/b"])))
        guard case .unsuback(let unsuback) = try #require(try client.next()) else {
            Issue.record("expected UNSUBACK")
            return
        }
        #expect(unsuback.reasonCodes == [.topicFilterInvalid, .noSubscriptionExisted])
    }

    @Test("Messages queued for a session before its first connection attached are delivered")
    func queuedBeforeAttachIsDrained() throws {
        let broker = TestBroker()
        // An offline persistent session holds a QoS 1 p2p message …
        let bob = try broker.connected("bob", properties: [.sessionExpiryInterval(60)])
        try bob.drop()
        let alice = try broker.connected("alice")
        try alice.publish("chat/p2p/bob", "hi", qos: .atLeastOnce, packetID: 1)
        // … and bob comes back with a clean start: the old session and its queue are gone, but a
        // message published after that must not stall the new session's queue.
        let again = try broker.client(.v5)
        let connack = try again.connect(clientID: "bob", cleanStart: true)
        #expect(!connack.sessionPresent)
        try alice.publish("chat/p2p/bob", "after", qos: .atLeastOnce, packetID: 2)
        #expect(try again.nextPublish().payloadString == "after")
    }
}

@Suite("Retained store limit")
struct RetainedLimitTests {
    @Test("A full retained store keeps its messages and refuses new topics, but still delivers")
    func fullStoreRefusesNewTopics() throws {
        let broker = TestBroker { $0.maxRetainedMessages = 2 }
        let live = try broker.connected("live")
        try live.subscribe("r/#")
        let publisher = try broker.connected("pub")
        for topic in ["r/1", "r/2", "r/3"] {
            try publisher.publish(topic, topic, retain: true)
            #expect(try live.nextPublish().topic == topic)  // delivered either way
        }
        try publisher.publish("r/1", "r/1 again", retain: true)  // replacing is always allowed
        _ = try live.nextPublish()
        #expect(broker.broker.retained.count == 2)
        #expect(broker.broker.stats[.retainedRejected] == 1)

        let late = try broker.connected("late")
        try late.subscribe("r/#")
        let retained = try late.publishes().map(\.payloadString).sorted()
        #expect(retained == ["r/1 again", "r/2"])
    }
}

@Suite("Reason strings quoting client input")
struct ReasonStringLengthTests {
    @Test("Refusing many long filters does not build a reason string too long to encode")
    func longRefusalsAreTruncated() throws {
        let broker = TestBroker { $0.maxSubscriptionsPerClient = 1000 }
        let client = try broker.connected("c")
        // 200 filters of 1,000 bytes, all someone else's p2p topic: the joined reasons would be
        // about 220 KB, over the 65,535 bytes a UTF-8 string field can hold.
        let filters = (0..<200).map { "chat/p2p/" + String(repeating: "x", count: 990) + "\($0)" }
        try client.send(
            .subscribe(
                SubscribePacket(
                    packetID: 9, subscriptions: filters.map { SubscriptionRequest(topicFilter: $0, qos: .atMostOnce) })))
        guard case .suback(let suback) = try #require(try client.next()) else {
            Issue.record("expected SUBACK")
            return
        }
        #expect(suback.reasonCodes.count == 200)
        #expect(suback.reasonCodes.allSatisfy { $0 == .notAuthorized })
        let reason = try #require(suback.properties.reasonString)
        #expect(reason.utf8.count <= 256)
        #expect(client.isActive)
    }
}

@Suite("Encode once")
struct EncodeOnceTests {
    @Test("A QoS 0 message reaches every subscriber of a protocol family as the same bytes")
    func sharedBytesPerFamily() throws {
        let broker = TestBroker()
        let v5a = try broker.connected("v5a")
        let v5b = try broker.connected("v5b")
        let v3 = try broker.connected("v3", .v3_1_1)
        for client in [v5a, v5b, v3] { try client.subscribe("live/room") }
        let publisher = try broker.connected("pub")
        try publisher.publish("live/room", "danmaku")

        func written(_ client: TestClient) throws -> ByteBuffer {
            try #require(try client.channel.readOutbound(as: ByteBuffer.self))
        }
        func address(_ buffer: ByteBuffer) -> UnsafeRawPointer? {
            buffer.withUnsafeReadableBytes { UnsafeRawPointer($0.baseAddress) }
        }
        let a = try written(v5a)
        let b = try written(v5b)
        let c = try written(v3)
        // DESIGN §4.4: one encoding per protocol family, the same storage written to every channel.
        #expect(address(a) == address(b))
        #expect(address(a) != address(c))
        #expect(a == b)
    }
}

@Suite("$SYS boundary")
struct SysBoundaryTests {
    @Test("Only $SYS and $SYS/… are reserved; $SYSTEM/… is an ordinary $-topic")
    func sysBoundary() throws {
        let broker = TestBroker()
        let client = try broker.connected("c")
        #expect(try client.subscribe("$SYS/#").reasonCodes == [.notAuthorized])
        #expect(try client.subscribe("$SYSTEM/#", packetID: 2).reasonCodes == [.grantedQoS0])
        try client.publish("$SYSTEM/x", "ok")
        #expect(try client.nextPublish().topic == "$SYSTEM/x")
    }
}

@Suite("Shared subscriptions prefer connected members")
struct SharedAvailabilityTests {
    @Test("The index passes an unavailable member's turn to an available one, and rotates as before otherwise")
    func indexSkipsUnavailable() {
        var index = SubscriptionIndex<String>()
        for member in ["a", "b", "c"] {
            index.subscribe(member, filter: "$share/g/t", options: SubscriptionOptions(qos: .atMostOnce))
        }
        index.setAvailable("b", false)
        let picked = (0..<6).map { _ in index.match(topic: "t", publisher: nil).map(\.subscriber) }
        #expect(picked == [["a"], ["c"], ["a"], ["c"], ["a"], ["c"]])
        // Nobody available: the rotation goes on (the message waits in that member's queue).
        index.setAvailable("a", false)
        index.setAvailable("c", false)
        let all = (0..<3).flatMap { _ in index.match(topic: "t", publisher: nil).map(\.subscriber) }
        #expect(Set(all) == ["a", "b", "c"])
        index.setAvailable("b", true)
        #expect(index.match(topic: "t", publisher: nil).map(\.subscriber) == ["b"])
        index.unsubscribeAll("a", filters: ["$share/g/t"])
        #expect(!index.unavailable.contains("a"))
    }

    @Test("A shared message goes to the connected member while a persistent member is offline")
    func brokerPrefersConnectedMembers() throws {
        let broker = TestBroker()
        let online = try broker.connected("online")
        try online.subscribe("$share/workers/jobs", qos: .atLeastOnce)
        let offline = try broker.connected("offline", properties: [.sessionExpiryInterval(300)])
        try offline.subscribe("$share/workers/jobs", qos: .atLeastOnce)
        try offline.drop()

        let producer = try broker.connected("producer")
        for id in UInt16(1)...4 {
            try producer.publish("jobs", "job \(id)", qos: .atLeastOnce, packetID: id)
        }
        let received = try online.publishes()
        #expect(received.map(\.payloadString) == ["job 1", "job 2", "job 3", "job 4"])
        for publish in received { try online.acknowledge(publish) }

        // Back online: the offline member had nothing queued and takes its turns again.
        let back = try broker.client(.v5)
        let connack = try back.connect(clientID: "offline", cleanStart: false, properties: [.sessionExpiryInterval(300)])
        #expect(connack.sessionPresent)
        #expect(try back.all().isEmpty)
        try producer.publish("jobs", "job 5", qos: .atLeastOnce, packetID: 5)
        try producer.publish("jobs", "job 6", qos: .atLeastOnce, packetID: 6)
        // Round robin again: one each.
        #expect(try back.publishes().map(\.payloadString) == ["job 5"])
        #expect(try online.publishes().map(\.payloadString) == ["job 6"])
    }
}
