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

/// Retained messages: storing, replacing, clearing and sending them to new subscriptions
/// (MQTT 5 §3.3.1.3; MQTT 3.1.1 §3.3.1.3).
@Suite("Retained messages")
struct RetainedMessageTests {
    @Test("A retained message is sent to a new subscription with RETAIN 1", arguments: [ProtocolVersion.v3_1_1, .v5])
    func retainedSentOnSubscribe(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let publisher = try broker.connected("pub", version)
        try publisher.publish("room/topic", "welcome", qos: .atLeastOnce, retain: true)
        #expect(broker.broker.retained.count == 1)

        let subscriber = try broker.connected("sub", version)
        let suback = try subscriber.subscribe("room/topic", qos: .atLeastOnce)
        #expect(suback.reasonCodes == [.grantedQoS1])
        // [MQTT-3.3.1-5] stored; [MQTT-3.3.1-6] [MQTT-3.3.1-8] (3.1.1) / [MQTT-3.3.1-9] (5.0): sent
        // to the new subscription with RETAIN 1.
        let publish = try subscriber.nextPublish()
        #expect(publish.payloadString == "welcome")
        #expect(publish.retain)
        #expect(publish.qos == .atLeastOnce)
        #expect(publish.packetID != nil)
    }

    @Test("A wildcard subscription gets every matching retained message")
    func wildcardGetsAllRetained() throws {
        let broker = TestBroker()
        let publisher = try broker.connected("pub")
        try publisher.publish("rooms/a/topic", "a", retain: true)
        try publisher.publish("rooms/b/topic", "b", retain: true)
        try publisher.publish("other/topic", "other", retain: true)
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("rooms/+/topic")
        let delivered = try subscriber.publishes()
        #expect(Set(delivered.map(\.payloadString)) == ["a", "b"])
        #expect(delivered.allSatisfy { $0.retain })
    }

    @Test("A retained message is delivered at the lower of its QoS and the subscription's")
    func retainedQoSIsDowngraded() throws {
        let broker = TestBroker()
        let publisher = try broker.connected("pub")
        try publisher.publish("t", "q2", qos: .exactlyOnce, retain: true, packetID: 1)
        try publisher.pubrel(1)
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("t", qos: .atLeastOnce)
        // [MQTT-3.8.4-8]
        #expect(try subscriber.nextPublish().qos == .atLeastOnce)
    }

    @Test("A new retained message replaces the old one", arguments: [ProtocolVersion.v3_1_1, .v5])
    func retainedIsReplaced(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let publisher = try broker.connected("pub", version)
        try publisher.publish("t", "v1", retain: true)
        try publisher.publish("t", "v2", retain: true)
        let subscriber = try broker.connected("sub", version)
        try subscriber.subscribe("t")
        // [MQTT-3.3.1-5] (5.0): replaces any existing retained message; [MQTT-3.3.1-7] (3.1.1).
        #expect(try subscriber.publishes().map(\.payloadString) == ["v2"])
    }

    @Test("An empty retained message clears the topic", arguments: [ProtocolVersion.v3_1_1, .v5])
    func emptyPayloadClears(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let existing = try broker.connected("existing", version)
        try existing.subscribe("t")
        let publisher = try broker.connected("pub", version)
        try publisher.publish("t", "v1", retain: true)
        #expect(try existing.nextPublish().payloadString == "v1")
        #expect(broker.broker.retained.count == 1)

        try publisher.publish("t", "", retain: true)
        // [MQTT-3.3.1-6] (5.0) / [MQTT-3.3.1-10] (3.1.1): processed normally for existing subscribers...
        let cleared = try existing.nextPublish()
        #expect(cleared.payload.readableBytes == 0)
        // ...but [MQTT-3.3.1-7] (5.0) / [MQTT-3.3.1-11] (3.1.1): nothing is stored.
        #expect(broker.broker.retained.count == 0)
        let subscriber = try broker.connected("sub", version)
        try subscriber.subscribe("t")
        #expect(try subscriber.all().isEmpty)
    }

    @Test("A message without RETAIN neither stores nor replaces", arguments: [ProtocolVersion.v3_1_1, .v5])
    func nonRetainedLeavesRetainedAlone(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let publisher = try broker.connected("pub", version)
        try publisher.publish("t", "kept", retain: true)
        try publisher.publish("t", "transient", retain: false)
        try publisher.publish("u", "never stored", retain: false)
        let subscriber = try broker.connected("sub", version)
        try subscriber.subscribe("#")
        // [MQTT-3.3.1-8] (5.0) / [MQTT-3.3.1-12] (3.1.1)
        #expect(try subscriber.publishes().map(\.payloadString) == ["kept"])
    }

    @Test("Normal deliveries carry RETAIN 0", arguments: [ProtocolVersion.v3_1, .v3_1_1, .v5])
    func normalDeliveryClearsRetain(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", version)
        try subscriber.subscribe("t")
        let publisher = try broker.connected("pub", version)
        try publisher.publish("t", "live", retain: true)
        // [MQTT-3.3.1-9] (3.1.1): RETAIN 0 on an established subscription, however it was published;
        // [MQTT-3.3.1-12] (5.0) without Retain As Published.
        let publish = try subscriber.nextPublish()
        #expect(publish.payloadString == "live")
        #expect(!publish.retain)
        // It was still stored.
        #expect(broker.broker.retained.count == 1)
    }

    @Test("A retained message carries the new subscription's identifier")
    func retainedCarriesSubscriptionIdentifier() throws {
        let broker = TestBroker()
        let publisher = try broker.connected("pub")
        try publisher.publish("status", "online", retain: true)
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("status", properties: [.subscriptionIdentifier(12)])
        // [MQTT-3.3.4-3]
        let publish = try subscriber.nextPublish()
        #expect(publish.retain)
        #expect(publish.properties.subscriptionIdentifiers == [12])
    }
}
