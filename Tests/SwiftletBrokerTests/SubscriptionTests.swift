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
import SwiftletBroker
import SwiftletMQTT
import Testing

/// SUBSCRIBE and UNSUBSCRIBE through the broker: wildcards, `$` topics, overlaps, subscription
/// options and identifiers, limits, shared subscriptions (MQTT 5 §3.8-§3.11, §4.7, §4.8).
@Suite("Subscriptions")
struct SubscriptionTests {
    // MARK: - Matching

    @Test("+ matches one level and # any number of levels", arguments: [ProtocolVersion.v3_1_1, .v5])
    func wildcards(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", version)
        let suback = try subscriber.subscribe([
            SubscriptionRequest(topicFilter: "sport/+/score", qos: .atMostOnce),
            SubscriptionRequest(topicFilter: "news/#", qos: .atMostOnce),
        ])
        #expect(suback.reasonCodes == [.grantedQoS0, .grantedQoS0])
        let publisher = try broker.connected("pub", version)
        for topic in [
            "sport/tennis/score", "sport/tennis/player/score", "sport/score", "news", "news/world/europe", "newsy",
        ] {
            try publisher.publish(topic, topic)
        }
        // MQTT 5 §4.7.1.2 (#, the parent level included) and §4.7.1.3 (+, exactly one level).
        let topics = try subscriber.publishes().map(\.topic)
        #expect(topics == ["sport/tennis/score", "news", "news/world/europe"])
    }

    @Test("Topics starting with $ are not matched by filters starting with a wildcard")
    func dollarTopicsAreNotMatchedByWildcards() throws {
        let broker = TestBroker()
        let everything = try broker.connected("everything")
        try everything.subscribe("#")
        let plus = try broker.connected("plus")
        try plus.subscribe("+/status")
        let explicit = try broker.connected("explicit")
        try explicit.subscribe("$app/#")

        let publisher = try broker.connected("pub")
        try publisher.publish("$app/status", "internal")
        // [MQTT-4.7.2-1]
        #expect(try everything.all().isEmpty)
        #expect(try plus.all().isEmpty)
        #expect(try explicit.nextPublish().topic == "$app/status")

        try publisher.publish("app/status", "public")
        #expect(try everything.nextPublish().topic == "app/status")
        #expect(try plus.nextPublish().topic == "app/status")
    }

    @Test("Overlapping subscriptions give one copy with the maximum QoS and every identifier")
    func overlappingSubscriptionsInMQTT5() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("sport/+", qos: .atMostOnce, packetID: 1, properties: [.subscriptionIdentifier(1)])
        try subscriber.subscribe("sport/#", qos: .atLeastOnce, packetID: 2, properties: [.subscriptionIdentifier(2)])
        try subscriber.subscribe("sport/tennis", qos: .atMostOnce, packetID: 3)
        let publisher = try broker.connected("pub")
        try publisher.publish("sport/tennis", "ace", qos: .exactlyOnce, packetID: 1)
        try publisher.pubrel(1)

        let delivered = try subscriber.publishes()
        #expect(delivered.count == 1)
        let publish = try #require(delivered.first)
        // [MQTT-3.3.4-2]: the maximum QoS of all matching subscriptions.
        #expect(publish.qos == .atLeastOnce)
        // [MQTT-3.3.4-3] [MQTT-3.3.4-4]: all the identifiers, in any order.
        #expect(Set(publish.properties.subscriptionIdentifiers) == [1, 2])
        #expect(publish.properties.subscriptionIdentifiers.count == 2)
    }

    @Test("Overlapping 3.1.1 subscriptions are delivered with the maximum QoS")
    func overlappingSubscriptionsIn311() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", .v3_1_1)
        try subscriber.subscribe("sport/+", qos: .atMostOnce, packetID: 1)
        try subscriber.subscribe("sport/#", qos: .exactlyOnce, packetID: 2)
        let publisher = try broker.connected("pub", .v3_1_1)
        try publisher.publish("sport/tennis", "ace", qos: .atLeastOnce)
        // [MQTT-3.3.5-1] (3.1.1): respecting the maximum QoS of all matching subscriptions.
        let delivered = try subscriber.publishes()
        #expect(delivered.map(\.qos) == [.atLeastOnce])
    }

    @Test("A PUBLISH carries the identifier of the matching subscription")
    func subscriptionIdentifiers() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("with/id", packetID: 1, properties: [.subscriptionIdentifier(268_435_455)])
        try subscriber.subscribe("without/id", packetID: 2)
        let publisher = try broker.connected("pub")
        try publisher.publish("with/id", "a")
        try publisher.publish("without/id", "b")
        let delivered = try subscriber.publishes()
        #expect(delivered.count == 2)
        // [MQTT-3.3.4-3]; the largest identifier, 268,435,455, survives (MQTT 5 §3.8.2.1.2).
        #expect(delivered.first?.properties.subscriptionIdentifiers == [268_435_455])
        #expect(delivered.last?.properties.subscriptionIdentifiers == [])
    }

    @Test("Subscribing to the same filter again replaces the subscription")
    func resubscribeReplaces() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("chat/room", qos: .atMostOnce, packetID: 1, properties: [.subscriptionIdentifier(1)])
        try subscriber.subscribe("chat/room", qos: .atLeastOnce, packetID: 2, properties: [.subscriptionIdentifier(2)])
        let publisher = try broker.connected("pub")
        try publisher.publish("chat/room", "m", qos: .atLeastOnce)
        // [MQTT-3.8.4-3]: replaced, so one copy with the new options.
        let delivered = try subscriber.publishes()
        #expect(delivered.count == 1)
        #expect(delivered.first?.qos == .atLeastOnce)
        #expect(delivered.first?.properties.subscriptionIdentifiers == [2])
    }

    // MARK: - Subscription options

    @Test("No Local keeps a client's own messages from it")
    func noLocal() throws {
        let broker = TestBroker()
        let alice = try broker.connected("alice")
        try alice.subscribe("chat/room", noLocal: true)
        let bob = try broker.connected("bob")
        try bob.subscribe("chat/room")

        try alice.publish("chat/room", "from alice")
        // [MQTT-3.8.3-3]
        #expect(try alice.all().isEmpty)
        #expect(try bob.nextPublish().payloadString == "from alice")
        try bob.publish("chat/room", "from bob")
        #expect(try alice.nextPublish().payloadString == "from bob")
        // Without No Local a client gets its own messages.
        #expect(try bob.nextPublish().payloadString == "from bob")
    }

    @Test("Retain As Published keeps the RETAIN flag; without it, it is cleared")
    func retainAsPublished() throws {
        let broker = TestBroker()
        let keeps = try broker.connected("keeps")
        try keeps.subscribe("status", retainAsPublished: true)
        let clears = try broker.connected("clears")
        try clears.subscribe("status", retainAsPublished: false)
        let publisher = try broker.connected("pub")
        try publisher.publish("status", "online", retain: true)
        // [MQTT-3.3.1-13]: RETAIN as published.
        #expect(try keeps.nextPublish().retain)
        // [MQTT-3.3.1-12]: RETAIN 0 when forwarding.
        #expect(try !clears.nextPublish().retain)
    }

    @Test("Retain Handling 0 sends retained messages on every subscribe")
    func retainHandlingSendOnSubscribe() throws {
        let broker = TestBroker()
        let publisher = try broker.connected("pub")
        try publisher.publish("status", "online", retain: true)
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("status", packetID: 1, retainHandling: .sendOnSubscribe)
        // [MQTT-3.3.1-9]
        #expect(try subscriber.nextPublish().payloadString == "online")
        try subscriber.subscribe("status", packetID: 2, retainHandling: .sendOnSubscribe)
        #expect(try subscriber.nextPublish().payloadString == "online")
    }

    @Test("Retain Handling 1 sends retained messages only for a new subscription")
    func retainHandlingSendOnNewSubscribe() throws {
        let broker = TestBroker()
        let publisher = try broker.connected("pub")
        try publisher.publish("status", "online", retain: true)
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("status", packetID: 1, retainHandling: .sendOnNewSubscribe)
        // [MQTT-3.3.1-10]
        #expect(try subscriber.nextPublish().payloadString == "online")
        try subscriber.subscribe("status", packetID: 2, retainHandling: .sendOnNewSubscribe)
        #expect(try subscriber.all().isEmpty)
    }

    @Test("Retain Handling 2 sends no retained messages")
    func retainHandlingDoNotSend() throws {
        let broker = TestBroker()
        let publisher = try broker.connected("pub")
        try publisher.publish("status", "online", retain: true)
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("status", retainHandling: .doNotSend)
        // [MQTT-3.3.1-11]
        #expect(try subscriber.all().isEmpty)
        // The subscription itself works.
        try publisher.publish("status", "away", retain: true)
        #expect(try subscriber.nextPublish().payloadString == "away")
    }

    // MARK: - Refusals and limits

    @Test(
        "An invalid filter is refused per filter: 0x8F (MQTT 5), 0x80 (3.1.1)",
        arguments: [ProtocolVersion.v3_1_1, .v5])
    func invalidFilter(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", version)
        let suback = try subscriber.subscribe([
            SubscriptionRequest(topicFilter: "ok/+", qos: .atLeastOnce),
            SubscriptionRequest(topicFilter: "bad/#/more", qos: .atLeastOnce),
            SubscriptionRequest(topicFilter: "bad+", qos: .atLeastOnce),
        ])
        // [MQTT-4.7.1-2] [MQTT-4.7.1-3]; [MQTT-3.8.4-6] (5.0): one code per filter.
        let refused: ReasonCode = version == .v5 ? .topicFilterInvalid : .unspecifiedError
        #expect(suback.reasonCodes == [.grantedQoS1, refused, refused])
        #expect(subscriber.isActive)
        let publisher = try broker.connected("pub", version)
        try publisher.publish("ok/fine", "m")
        #expect(try subscriber.nextPublish().topic == "ok/fine")
    }

    @Test("Subscriptions beyond maxSubscriptionsPerClient are refused", arguments: [ProtocolVersion.v3_1_1, .v5])
    func maxSubscriptions(version: ProtocolVersion) throws {
        let broker = TestBroker { $0.maxSubscriptionsPerClient = 2 }
        let subscriber = try broker.connected("sub", version)
        let suback = try subscriber.subscribe([
            SubscriptionRequest(topicFilter: "a", qos: .atMostOnce),
            SubscriptionRequest(topicFilter: "b", qos: .atMostOnce),
            SubscriptionRequest(topicFilter: "c", qos: .atMostOnce),
        ])
        // MQTT 5 §3.9.3: 0x97 Quota exceeded; 3.1.1 has only 0x80 [MQTT-3.9.3-2] (3.1.1).
        let refused: ReasonCode = version == .v5 ? .quotaExceeded : .unspecifiedError
        #expect(suback.reasonCodes == [.grantedQoS0, .grantedQoS0, refused])
        // Replacing an existing subscription does not count as a new one.
        let again = try subscriber.subscribe("a", qos: .atLeastOnce, packetID: 2)
        #expect(again.reasonCodes == [.grantedQoS1])
        #expect(broker.stats[.subscriptionsRejected] == 1)
    }

    @Test("UNSUBSCRIBE stops delivery; MQTT 5 UNSUBACK says 0x00 or 0x11")
    func unsubscribeInMQTT5() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("chat/room")
        let unsuback = try subscriber.unsubscribe(["chat/room", "never/subscribed"], packetID: 33)
        // [MQTT-3.10.4-5]: same identifier; MQTT 5 §3.11.3: 0x00 Success, 0x11 No subscription existed.
        #expect(unsuback.packetID == 33)
        #expect(unsuback.reasonCodes == [.success, .noSubscriptionExisted])
        let publisher = try broker.connected("pub")
        try publisher.publish("chat/room", "m")
        // [MQTT-3.10.4-1] [MQTT-3.10.4-2]
        #expect(try subscriber.all().isEmpty)
    }

    @Test("3.1.1 UNSUBSCRIBE stops delivery and is acknowledged")
    func unsubscribeIn311() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", .v3_1_1)
        try subscriber.subscribe("chat/+")
        let unsuback = try subscriber.unsubscribe(["chat/+"], packetID: 5)
        // [MQTT-3.10.4-4] (3.1.1): UNSUBACK with the same identifier.
        #expect(unsuback.packetID == 5)
        let publisher = try broker.connected("pub", .v3_1_1)
        try publisher.publish("chat/room", "m")
        // [MQTT-3.10.4-2] (3.1.1)
        #expect(try subscriber.all().isEmpty)
    }

    // MARK: - Shared subscriptions (MQTT 5 §4.8.2)

    @Test("A shared subscription gives each message to one member, in turn")
    func sharedRoundRobin() throws {
        let broker = TestBroker()
        let first = try broker.connected("first")
        try first.subscribe("$share/workers/jobs/+", qos: .atLeastOnce)
        let second = try broker.connected("second")
        try second.subscribe("$share/workers/jobs/+", qos: .atLeastOnce)
        let publisher = try broker.connected("pub")
        for index in 0..<6 {
            try publisher.publish("jobs/new", "job\(index)", qos: .atLeastOnce, packetID: UInt16(index + 1))
        }
        let toFirst = try first.publishes().map(\.payloadString)
        let toSecond = try second.publishes().map(\.payloadString)
        // MQTT 5 §4.8.2: each message goes to only one member; round-robin shares them evenly.
        #expect(toFirst.count == 3)
        #expect(toSecond.count == 3)
        #expect(Set(toFirst + toSecond) == Set((0..<6).map { "job\($0)" }))
        #expect(toFirst.allSatisfy { text in !toSecond.contains(text) })
    }

    @Test("Shared and non-shared subscriptions each get their copy")
    func sharedAlongsideNonShared() throws {
        let broker = TestBroker()
        let member = try broker.connected("member")
        try member.subscribe("$share/g/chat/room")
        let plain = try broker.connected("plain")
        try plain.subscribe("chat/room")
        let publisher = try broker.connected("pub")
        try publisher.publish("chat/room", "m")
        #expect(try member.publishes().count == 1)
        #expect(try plain.publishes().count == 1)
    }

    @Test("A member that leaves the group gets no more messages")
    func sharedMemberLeaves() throws {
        let broker = TestBroker()
        let first = try broker.connected("first")
        try first.subscribe("$share/g/t")
        let second = try broker.connected("second")
        try second.subscribe("$share/g/t")
        #expect(try first.unsubscribe(["$share/g/t"]).reasonCodes == [.success])
        let publisher = try broker.connected("pub")
        for index in 0..<4 { try publisher.publish("t", "m\(index)") }
        #expect(try first.all().isEmpty)
        #expect(try second.publishes().count == 4)
    }

    @Test("Retained messages are not sent to a new shared subscription")
    func sharedGetsNoRetained() throws {
        let broker = TestBroker()
        let publisher = try broker.connected("pub")
        try publisher.publish("status", "online", retain: true)
        let member = try broker.connected("member")
        let suback = try member.subscribe("$share/g/status")
        #expect(suback.reasonCodes == [.grantedQoS0])
        // MQTT 5 §4.8.2: retained messages are not sent when a shared subscription is made.
        #expect(try member.all().isEmpty)
        // Control: a non-shared subscription does get it.
        let plain = try broker.connected("plain")
        try plain.subscribe("status")
        #expect(try plain.nextPublish().retain)
    }

    @Test("No Local on a shared subscription is a protocol error: DISCONNECT 0x82")
    func noLocalOnSharedSubscription() throws {
        let broker = TestBroker()
        let client = try broker.connected("client")
        try client.send(
            .subscribe(
                SubscribePacket(
                    packetID: 1,
                    subscriptions: [SubscriptionRequest(topicFilter: "$share/g/t", qos: .atMostOnce, noLocal: true)])))
        // [MQTT-3.8.3-4]
        try client.expectDisconnect(.protocolError)
        #expect(!client.isActive)
    }
}
