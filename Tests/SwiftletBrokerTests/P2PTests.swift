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

/// Point-to-point topics `{parentTopic}/p2p/{clientId}` (DESIGN §5).
@Suite("Point-to-point messages")
struct P2PTests {
    @Test(
        "A p2p message reaches its client without a subscription, and nobody else",
        arguments: [ProtocolVersion.v3_1_1, .v5])
    func p2pReachesOnlyTarget(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let bob = try broker.connected("bob", version)
        let eavesdropper = try broker.connected("eve", version)
        try eavesdropper.subscribe("#")
        try eavesdropper.subscribe("chat/+/bob", packetID: 2)
        let carol = try broker.connected("carol", version)
        let alice = try broker.connected("alice", version)

        try alice.publish("chat/p2p/bob", "hi bob", qos: .atLeastOnce, packetID: 5)
        // DESIGN §5: to that client only, whether or not it subscribed.
        let publish = try bob.nextPublish()
        #expect(publish.topic == "chat/p2p/bob")
        #expect(publish.payloadString == "hi bob")
        #expect(publish.qos == .atLeastOnce)
        #expect(try eavesdropper.all().isEmpty)
        #expect(try carol.all().isEmpty)
        let puback = try alice.nextAck(.puback)
        #expect(puback.packetID == 5)
        #expect(puback.reasonCode == .success)
    }

    @Test("A p2p message is never retained")
    func p2pIsNotRetained() throws {
        let broker = TestBroker()
        let bob = try broker.connected("bob")
        let alice = try broker.connected("alice")
        try alice.publish("chat/p2p/bob", "private", retain: true)
        #expect(try bob.nextPublish().retain == false)
        #expect(broker.broker.retained.count == 0)
    }

    @Test("A p2p message is kept for an offline persistent session")
    func p2pQueuedWhileOffline() throws {
        let broker = TestBroker()
        let properties: Properties = [.sessionExpiryInterval(3600)]
        let bob = try broker.connected("bob", cleanStart: false, properties: properties)
        try bob.disconnect()
        let alice = try broker.connected("alice")
        try alice.publish("chat/p2p/bob", "while you were out", qos: .atLeastOnce)

        let again = try broker.connected("bob", cleanStart: false, properties: properties)
        // DESIGN §5: kept as an offline message if its session persists.
        #expect(try again.publishes().map(\.payloadString) == ["while you were out"])
    }

    @Test("Subscribing to another client's p2p topic is refused", arguments: [ProtocolVersion.v3_1_1, .v5])
    func foreignP2PSubscriptionRefused(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let alice = try broker.connected("alice", version)
        let suback = try alice.subscribe([
            SubscriptionRequest(topicFilter: "chat/p2p/bob", qos: .atLeastOnce),
            SubscriptionRequest(topicFilter: "chat/p2p/#", qos: .atLeastOnce),
            SubscriptionRequest(topicFilter: "chat/p2p/+", qos: .atLeastOnce),
        ])
        // DESIGN §5, §6: 0x87 Not authorized (MQTT 5), 0x80 Failure (3.1.1).
        let refused: ReasonCode = version == .v5 ? .notAuthorized : .unspecifiedError
        #expect(suback.reasonCodes == [refused, refused, refused])
        #expect(alice.isActive)
    }

    @Test("A client may subscribe to its own p2p topic", arguments: [ProtocolVersion.v3_1_1, .v5])
    func ownP2PSubscriptionAllowed(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let bob = try broker.connected("bob", version)
        let suback = try bob.subscribe("chat/p2p/bob", qos: .atLeastOnce)
        #expect(suback.reasonCodes == [.grantedQoS1])
        let alice = try broker.connected("alice", version)
        try alice.publish("chat/p2p/bob", "once", qos: .atLeastOnce)
        // One copy, not one through the subscription and one point-to-point.
        #expect(try bob.publishes().map(\.payloadString) == ["once"])
    }

    @Test(
        "Which filters reach into another client's p2p topics (the ASCII fast path and the general one agree)",
        arguments: [
            ("chat/p2p/bob", true), ("chat/p2p/alice", false), ("chat/p2p/+", true), ("chat/p2p/#", true),
            ("chat/p2p/alice/x", true), ("chat/p2p", false), ("chat/+/bob", false), ("chat", false),
            ("/p2p/bob", true), ("chat//bob", false), ("p2p/bob", false), ("a/p2p/", true),
            ("chat/p2p/bøb", true), ("chat/p2p/alicé", true), ("chät/p2p/alice", false),
        ])
    func foreignP2PFilters(filter: String, foreign: Bool) {
        #expect(P2PTopic.isForeignP2PFilter(filter, subscriberClientID: "alice") == foreign)
    }

    @Test("A p2p message to a client without a session is dropped and counted")
    func p2pWithoutSession() throws {
        let broker = TestBroker()
        let alice = try broker.connected("alice")
        try alice.publish("chat/p2p/nobody", "hello?", qos: .atLeastOnce, packetID: 2)
        // MQTT 5 §3.4.2.1: 0x10 No matching subscribers.
        let puback = try alice.nextAck(.puback)
        #expect(puback.packetID == 2)
        #expect(puback.reasonCode == .noMatchingSubscribers)
        #expect(broker.stats[.messagesDroppedNoSession] == 1)
    }
}
