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

/// MQTT 5 Message Expiry Interval (MQTT 5 §3.3.2.3.3).
@Suite("Message expiry")
struct MessageExpiryTests {
    private let persistent: Properties = [.sessionExpiryInterval(3600)]

    @Test("A queued message whose expiry passed while the client was offline is not delivered")
    func expiredWhileOffline() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", cleanStart: false, properties: persistent)
        try subscriber.subscribe("chat/room", qos: .atLeastOnce)
        try subscriber.disconnect()

        let publisher = try broker.connected("pub")
        try publisher.publish(
            "chat/room", "short-lived", qos: .atLeastOnce, packetID: 1, properties: [.messageExpiryInterval(5)])
        try publisher.publish(
            "chat/room", "long-lived", qos: .atLeastOnce, packetID: 2, properties: [.messageExpiryInterval(60)])
        try publisher.publish("chat/room", "forever", qos: .atLeastOnce, packetID: 3)
        broker.advance(by: .seconds(6))

        let again = try broker.connected("sub", cleanStart: false, properties: persistent)
        // [MQTT-3.3.2-5]: once the interval has passed, the server must not deliver the message.
        let delivered = try again.publishes()
        #expect(delivered.map(\.payloadString) == ["long-lived", "forever"])
        #expect(broker.stats[.messagesDroppedExpired] == 1)
    }

    @Test("A delivered message carries the remaining Message Expiry Interval")
    func remainingIntervalAfterWaiting() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", cleanStart: false, properties: persistent)
        try subscriber.subscribe("chat/room", qos: .atLeastOnce)
        try subscriber.disconnect()

        let publisher = try broker.connected("pub")
        try publisher.publish("chat/room", "m", qos: .atLeastOnce, properties: [.messageExpiryInterval(60)])
        broker.advance(by: .seconds(20))

        let again = try broker.connected("sub", cleanStart: false, properties: persistent)
        // [MQTT-3.3.2-6]: the interval received by the client is the received value minus the time
        // the message waited in the server.
        let publish = try again.nextPublish()
        #expect(publish.properties.messageExpiryInterval == 40)
    }

    @Test("A message delivered at once keeps its full interval", arguments: [QoS.atMostOnce, .atLeastOnce])
    func fullIntervalWhenDeliveredAtOnce(qos: QoS) throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("chat/room", qos: qos)
        let publisher = try broker.connected("pub")
        try publisher.publish("chat/room", "m", qos: qos, properties: [.messageExpiryInterval(30)])
        // [MQTT-3.3.2-6]
        #expect(try subscriber.nextPublish().properties.messageExpiryInterval == 30)
    }

    @Test("A message without Message Expiry Interval is delivered without one")
    func noIntervalStaysAbsent() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("chat/room")
        let publisher = try broker.connected("pub")
        try publisher.publish("chat/room", "m")
        // MQTT 5 §3.3.2.3.3: absent means the message does not expire.
        #expect(try subscriber.nextPublish().properties.messageExpiryInterval == nil)
    }

    @Test("An expired retained message is no longer sent to new subscriptions")
    func retainedMessageExpires() throws {
        let broker = TestBroker()
        let publisher = try broker.connected("pub")
        try publisher.publish("status", "fresh", retain: true, properties: [.messageExpiryInterval(10)])
        broker.advance(by: .seconds(4))
        let early = try broker.connected("early")
        try early.subscribe("status")
        let publish = try early.nextPublish()
        // [MQTT-3.3.2-6] for retained messages too.
        #expect(publish.properties.messageExpiryInterval == 6)

        broker.advance(by: .seconds(7))
        let late = try broker.connected("late")
        try late.subscribe("status")
        // [MQTT-3.3.2-5]
        #expect(try late.all().isEmpty)
    }

    @Test("A message waiting for a full receive window expires there too")
    func expiresWhileWaitingForWindow() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", properties: [.receiveMaximum(1)])
        try subscriber.subscribe("chat/room", qos: .atLeastOnce)
        let publisher = try broker.connected("pub")
        try publisher.publish("chat/room", "first", qos: .atLeastOnce, packetID: 1)
        try publisher.publish(
            "chat/room", "brief", qos: .atLeastOnce, packetID: 2, properties: [.messageExpiryInterval(2)])
        try publisher.publish("chat/room", "last", qos: .atLeastOnce, packetID: 3)
        let first = try subscriber.nextPublish()
        broker.advance(by: .seconds(3))
        try subscriber.puback(try #require(first.packetID))
        // [MQTT-3.3.2-5]
        let next = try subscriber.nextPublish()
        #expect(next.payloadString == "last")
    }
}
