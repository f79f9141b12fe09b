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

/// `$SYS` topics belong to the broker: clients may neither publish nor (without privileges)
/// subscribe there (DESIGN §7; MQTT 5 §4.7.2).
@Suite("$SYS topics")
struct SysTopicTests {
    @Test("Publishing to $SYS is refused: MQTT 5 PUBACK 0x87")
    func publishRefusedInMQTT5() throws {
        let broker = TestBroker()
        let explicit = try broker.connected("explicit")
        // The subscription itself is refused too, so this watches that nothing leaks anyway.
        try explicit.subscribe("$SYS/#")
        let publisher = try broker.connected("pub")
        try publisher.publish("$SYS/clients/x/connected", "{}", qos: .atLeastOnce, retain: true, packetID: 3)
        // MQTT 5 §3.4.2.1: 0x87 Not authorized.
        let puback = try publisher.nextAck(.puback)
        #expect(puback.packetID == 3)
        #expect(puback.reasonCode == .notAuthorized)
        #expect(publisher.isActive)
        #expect(broker.broker.retained.count == 0)
        #expect(try explicit.all().isEmpty)
    }

    @Test("Publishing to $SYS over 3.1.1 is acknowledged and dropped")
    func publishDroppedIn311() throws {
        let broker = TestBroker()
        let publisher = try broker.connected("pub", .v3_1_1)
        try publisher.publish("$SYS/broker/uptime", "0", qos: .atLeastOnce, retain: true, packetID: 3)
        // [MQTT-3.3.5-2] (3.1.1): a positive acknowledgement or a close; Swiftlet acknowledges
        // refused authorizations and drops the message.
        #expect(try publisher.nextAck(.puback).packetID == 3)
        #expect(publisher.isActive)
        #expect(broker.broker.retained.count == 0)
    }

    @Test("Subscribing to $SYS is refused", arguments: [ProtocolVersion.v3_1_1, .v5])
    func subscribeRefused(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let client = try broker.connected("client", version)
        let suback = try client.subscribe([
            SubscriptionRequest(topicFilter: "$SYS/#", qos: .atMostOnce),
            SubscriptionRequest(topicFilter: "$SYS/clients/+/connected", qos: .atMostOnce),
        ])
        // DESIGN §7: only privileged clients may subscribe to $SYS/#; 0x87 (MQTT 5), 0x80 (3.1.1).
        let refused: ReasonCode = version == .v5 ? .notAuthorized : .unspecifiedError
        #expect(suback.reasonCodes == [refused, refused])
        #expect(client.isActive)
    }

    @Test("A will on a $SYS topic is never published", arguments: [ProtocolVersion.v3_1_1, .v5])
    func willOnSysTopic(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let mallory = try broker.client(version)
        let will = WillMessage(
            topic: "$SYS/clients/bob/disconnected", payload: ByteBuffer(string: #"{"spoofed":true}"#),
            qos: .atMostOnce, retain: true)
        let connack = try mallory.connect(clientID: "mallory", will: will)
        // A will is a publish the broker makes on the client's behalf: the $SYS rule applies to it as
        // to any PUBLISH (DESIGN §7). Refusing the CONNECT (0x87) or dropping the will both satisfy this.
        if connack.reasonCode == .success { try mallory.drop() }
        #expect(broker.broker.retained.count == 0)
        #expect(broker.stats[.willsPublished] == 0)
    }

    @Test("A QoS 0 publish to $SYS is dropped without closing the connection")
    func qos0PublishDropped() throws {
        let broker = TestBroker()
        let publisher = try broker.connected("pub")
        try publisher.publish("$SYS/broker/load", "1", retain: true)
        #expect(publisher.isActive)
        #expect(try publisher.all().isEmpty)
        #expect(broker.broker.retained.count == 0)
    }
}
