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

/// MQTT 5 topic aliases in both directions (MQTT 5 §3.3.2.3.4, §3.1.2.11.5, §3.2.2.3.8).
@Suite("Topic aliases")
struct TopicAliasTests {
    private func aliased(_ topic: String, alias: UInt16, _ text: String) -> PublishPacket {
        PublishPacket(topic: topic, payload: ByteBuffer(string: text), properties: [.topicAlias(alias)])
    }

    // MARK: - Client to broker

    @Test("An alias set with a topic can then be used alone")
    func inboundAliasSetThenUsed() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("sensors/+/temperature")
        let publisher = try broker.connected("pub")
        try publisher.publish(aliased("sensors/kitchen/temperature", alias: 1, "20"))
        try publisher.publish(aliased("", alias: 1, "21"))
        try publisher.publish(aliased("sensors/hall/temperature", alias: 1, "19"))
        try publisher.publish(aliased("", alias: 1, "18"))
        #expect(publisher.isActive)
        // [MQTT-3.3.2-12]: the server accepts aliases up to its maximum; MQTT 5 §3.3.2.3.4: an alias
        // alone stands for the topic it was last set to.
        let delivered = try subscriber.publishes()
        #expect(
            delivered.map(\.topic) == [
                "sensors/kitchen/temperature", "sensors/kitchen/temperature", "sensors/hall/temperature",
                "sensors/hall/temperature",
            ])
        #expect(delivered.map(\.payloadString) == ["20", "21", "19", "18"])
        // The alias belongs to the publisher's connection (MQTT 5 §3.3.2.3.4) and is not forwarded.
        #expect(delivered.allSatisfy { $0.properties.topicAlias == nil })
    }

    @Test("Topic alias 0 is invalid: DISCONNECT 0x94")
    func aliasZero() throws {
        let broker = TestBroker()
        let publisher = try broker.connected("pub")
        try publisher.publish(aliased("t", alias: 0, "m"))
        // [MQTT-3.3.2-8]; MQTT 5 §3.3.2.3.4: the receiver uses DISCONNECT 0x94 Topic Alias invalid.
        try publisher.expectDisconnect(.topicAliasInvalid)
        #expect(!publisher.isActive)
    }

    @Test("A topic alias above the server's Topic Alias Maximum is invalid: DISCONNECT 0x94")
    func aliasAboveMaximum() throws {
        let broker = TestBroker { $0.topicAliasMaximum = 4 }
        let publisher = try broker.client(.v5)
        let connack = try publisher.connect(clientID: "pub")
        #expect(connack.properties.topicAliasMaximum == 4)
        try publisher.publish(aliased("t", alias: 4, "fine"))
        #expect(publisher.isActive)
        try publisher.publish(aliased("t", alias: 5, "too high"))
        // [MQTT-3.3.2-9]; MQTT 5 §3.3.2.3.4: DISCONNECT 0x94.
        try publisher.expectDisconnect(.topicAliasInvalid)
        #expect(!publisher.isActive)
    }

    @Test("Any topic alias is invalid when the server allows none")
    func aliasWhenServerAllowsNone() throws {
        let broker = TestBroker { $0.topicAliasMaximum = 0 }
        let publisher = try broker.client(.v5)
        let connack = try publisher.connect(clientID: "pub")
        // MQTT 5 §3.2.2.3.8: absent means the server accepts no aliases.
        #expect(connack.properties.topicAliasMaximum == nil || connack.properties.topicAliasMaximum == 0)
        try publisher.publish(aliased("t", alias: 1, "m"))
        try publisher.expectDisconnect(.topicAliasInvalid)
    }

    @Test("An alias used alone before it was set is a protocol error: DISCONNECT 0x82")
    func unknownAliasAlone() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("#")
        let publisher = try broker.connected("pub")
        try publisher.publish(aliased("", alias: 3, "m"))
        // MQTT 5 §3.3.4: an unknown alias without a topic is a Protocol Error.
        try publisher.expectDisconnect(.protocolError)
        #expect(!publisher.isActive)
        #expect(try subscriber.all().isEmpty)
    }

    @Test("Inbound aliases do not outlive the connection")
    func inboundAliasesArePerConnection() throws {
        let broker = TestBroker()
        let publisher = try broker.connected("pub", cleanStart: false, properties: [.sessionExpiryInterval(60)])
        try publisher.publish(aliased("t", alias: 1, "m"))
        try publisher.disconnect()
        let again = try broker.connected("pub", cleanStart: false, properties: [.sessionExpiryInterval(60)])
        try again.publish(aliased("", alias: 1, "m"))
        // [MQTT-3.3.2-7]: alias mappings are not carried from one network connection to another.
        try again.expectDisconnect(.protocolError)
    }

    // MARK: - Broker to client

    @Test("The broker sends topic and alias first, then the alias alone")
    func outboundAliases() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", properties: [.topicAliasMaximum(5)])
        try subscriber.subscribe("rooms/#", qos: .atLeastOnce)
        let publisher = try broker.connected("pub")
        try publisher.publish("rooms/lobby", "one")
        try publisher.publish("rooms/lobby", "two", qos: .atLeastOnce)
        try publisher.publish("rooms/kitchen", "three")
        try publisher.publish("rooms/lobby", "four")

        let delivered = try subscriber.publishes()
        try #require(delivered.count == 4)
        // MQTT 5 §3.3.2.3.4: topic plus alias sets the mapping...
        #expect(delivered[0].topic == "rooms/lobby")
        let lobby = try #require(delivered[0].properties.topicAlias)
        // ...[MQTT-3.1.2-26] [MQTT-3.3.2-11]: within the client's Topic Alias Maximum...
        #expect(lobby >= 1 && lobby <= 5)
        // ...and later PUBLISH packets for the topic may carry the alias alone.
        #expect(delivered[1].topic == "")
        #expect(delivered[1].properties.topicAlias == lobby)
        #expect(delivered[1].payloadString == "two")
        #expect(delivered[2].topic == "rooms/kitchen")
        let kitchen = try #require(delivered[2].properties.topicAlias)
        #expect(kitchen != lobby)
        #expect(delivered[3].topic == "")
        #expect(delivered[3].properties.topicAlias == lobby)
    }

    @Test("The broker never uses more aliases than the client allows")
    func outboundAliasesStayWithinMaximum() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", properties: [.topicAliasMaximum(1)])
        try subscriber.subscribe("rooms/#")
        let publisher = try broker.connected("pub")
        for topic in ["rooms/a", "rooms/b", "rooms/a", "rooms/b"] {
            try publisher.publish(topic, topic)
        }
        let delivered = try subscriber.publishes()
        // [MQTT-3.1.2-26] [MQTT-3.3.2-11]: no alias greater than the client's Topic Alias Maximum.
        #expect(delivered.allSatisfy { ($0.properties.topicAlias ?? 1) == 1 })
        // Every message still names its topic, by name or by a valid alias.
        var aliases: [UInt16: String] = [:]
        var resolved: [String] = []
        for publish in delivered {
            if let alias = publish.properties.topicAlias, !publish.topic.isEmpty { aliases[alias] = publish.topic }
            resolved.append(publish.topic.isEmpty ? aliases[publish.properties.topicAlias ?? 0] ?? "?" : publish.topic)
        }
        #expect(resolved == ["rooms/a", "rooms/b", "rooms/a", "rooms/b"])
    }

    @Test("A client without Topic Alias Maximum never gets aliases")
    func noOutboundAliasesByDefault() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("rooms/#")
        let publisher = try broker.connected("pub")
        try publisher.publish("rooms/lobby", "one")
        try publisher.publish("rooms/lobby", "two")
        // [MQTT-3.1.2-27]
        let delivered = try subscriber.publishes()
        #expect(delivered.map(\.topic) == ["rooms/lobby", "rooms/lobby"])
        #expect(delivered.allSatisfy { $0.properties.topicAlias == nil })
    }

    @Test("Outbound aliases start afresh on a new connection")
    func outboundAliasesArePerConnection() throws {
        let broker = TestBroker()
        let properties: Properties = [.topicAliasMaximum(5), .sessionExpiryInterval(60)]
        let subscriber = try broker.connected("sub", cleanStart: false, properties: properties)
        try subscriber.subscribe("rooms/lobby", qos: .atLeastOnce)
        let publisher = try broker.connected("pub")
        try publisher.publish("rooms/lobby", "one")
        #expect(try subscriber.nextPublish().topic == "rooms/lobby")
        try subscriber.disconnect()

        let again = try broker.connected("sub", cleanStart: false, properties: properties)
        try publisher.publish("rooms/lobby", "two")
        // [MQTT-3.3.2-7]: the client has no mapping on this connection, so the topic must be named.
        let publish = try again.nextPublish()
        #expect(publish.topic == "rooms/lobby")
    }
}
