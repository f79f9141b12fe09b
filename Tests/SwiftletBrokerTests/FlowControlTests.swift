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

/// Flow control and the broker's limits: Receive Maximum, packet sizes, topic length, malformed
/// input, queue bounds and slow consumers (MQTT 5 §3.1.2.11, §3.2.2.3, §4.9, §4.13; DESIGN §4.6, §9).
@Suite("Flow control and limits")
struct FlowControlTests {
    // MARK: - Inbound Receive Maximum

    @Test("More unreleased inbound QoS 2 messages than Receive Maximum: DISCONNECT 0x93")
    func inboundReceiveMaximumExceeded() throws {
        let broker = TestBroker { $0.maxInflight = 2 }
        let publisher = try broker.client(.v5)
        let connack = try publisher.connect(clientID: "pub")
        #expect(connack.properties.receiveMaximum == 2)
        try publisher.publish("t", "1", qos: .exactlyOnce, packetID: 1)
        try publisher.publish("t", "2", qos: .exactlyOnce, packetID: 2)
        #expect(try publisher.nextAck(.pubrec).packetID == 1)
        #expect(try publisher.nextAck(.pubrec).packetID == 2)
        try publisher.publish("t", "3", qos: .exactlyOnce, packetID: 3)
        // MQTT 5 §3.3.4: more than Receive Maximum unacknowledged QoS 2 PUBLISH packets → 0x93.
        try publisher.expectDisconnect(.receiveMaximumExceeded)
        #expect(!publisher.isActive)
    }

    @Test("Releasing QoS 2 messages frees room under Receive Maximum")
    func inboundReceiveMaximumFreedByPubrel() throws {
        let broker = TestBroker { $0.maxInflight = 2 }
        let publisher = try broker.connected("pub")
        for id in UInt16(1)...6 {
            try publisher.publish("t", "m", qos: .exactlyOnce, packetID: id)
            #expect(try publisher.nextAck(.pubrec).packetID == id)
            try publisher.pubrel(id)
            #expect(try publisher.nextAck(.pubcomp).packetID == id)
        }
        // QoS 1 is acknowledged at once and never piles up.
        for id in UInt16(10)...20 {
            try publisher.publish("t", "m", qos: .atLeastOnce, packetID: id)
        }
        #expect(try publisher.all().count == 11)
        #expect(publisher.isActive)
    }

    @Test("Resending unreleased QoS 2 messages after reconnecting does not exceed Receive Maximum")
    func resentQoS2DoesNotCountTwice() throws {
        let broker = TestBroker { $0.maxInflight = 2 }
        let properties: Properties = [.sessionExpiryInterval(60)]
        let publisher = try broker.connected("pub", cleanStart: false, properties: properties)
        try publisher.publish("t", "1", qos: .exactlyOnce, packetID: 1)
        try publisher.publish("t", "2", qos: .exactlyOnce, packetID: 2)
        _ = try publisher.all()
        try publisher.drop()

        let again = try broker.connected("pub", cleanStart: false, properties: properties)
        // [MQTT-4.4.0-1]: the client must resend its unacknowledged PUBLISH packets; they are the same
        // two messages, not new ones (MQTT 5 §4.9: the quota starts afresh on each connection).
        for id in UInt16(1)...2 {
            try again.publish(
                PublishPacket(
                    topic: "t", payload: ByteBuffer(string: "\(id)"), qos: .exactlyOnce, dup: true, packetID: id))
            #expect(try again.nextAck(.pubrec).packetID == id)
        }
        #expect(again.isActive)
    }

    // MARK: - Packet sizes

    @Test("An inbound packet above maxPacketSize: MQTT 5 DISCONNECT 0x95")
    func oversizePacketInMQTT5() throws {
        let broker = TestBroker { $0.maxPacketSize = 128 }
        let publisher = try broker.connected("pub")
        try publisher.publish(PublishPacket(topic: "t", payload: .filler(200)))
        // MQTT 5 §3.2.2.3.6: a packet above the server's Maximum Packet Size → DISCONNECT 0x95.
        try publisher.expectDisconnect(.packetTooLarge)
        #expect(!publisher.isActive)
        #expect(broker.stats[.oversizePackets] == 1)
    }

    @Test("An inbound packet above maxPacketSize closes a 3.1.1 connection")
    func oversizePacketIn311() throws {
        let broker = TestBroker { $0.maxPacketSize = 128 }
        let subscriber = try broker.connected("sub", .v3_1_1)
        try subscriber.subscribe("t")
        let publisher = try broker.connected("pub", .v3_1_1)
        try publisher.publish(PublishPacket(topic: "t", payload: .filler(200)))
        // MQTT 3.1.1 §4.8: the server closes the connection; 3.1.1 has no DISCONNECT from the server.
        #expect(try publisher.all().isEmpty)
        #expect(!publisher.isActive)
        #expect(try subscriber.all().isEmpty)
    }

    @Test(
        "A PUBLISH above the client's Maximum Packet Size is not sent; smaller ones still are",
        arguments: [QoS.atMostOnce, .atLeastOnce])
    func outboundAboveClientMaximumPacketSize(qos: QoS) throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", properties: [.maximumPacketSize(100), .receiveMaximum(1)])
        try subscriber.subscribe("t", qos: qos)
        let publisher = try broker.connected("pub")
        try publisher.publish("t", String(repeating: "x", count: 200), qos: qos, packetID: 1)
        // [MQTT-3.1.2-24]: never sent.
        #expect(try subscriber.all().isEmpty)
        #expect(broker.stats[.messagesDroppedTooLarge] == 1)
        // [MQTT-3.1.2-25]: handled as if delivered, so the receive window stays free for the next.
        try publisher.publish("t", "small", qos: qos, packetID: 2)
        let publish = try subscriber.nextPublish()
        #expect(publish.payloadString == "small")
        #expect(publish.qos == qos)
    }

    // MARK: - Topic limits

    @Test("A topic longer than maxTopicLength is refused: MQTT 5 PUBACK 0x90")
    func longTopicInMQTT5() throws {
        let broker = TestBroker { $0.maxTopicLength = 16 }
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("#")
        let publisher = try broker.connected("pub")
        let long = String(repeating: "a", count: 17)
        try publisher.publish(long, "m", qos: .atLeastOnce, packetID: 4)
        // MQTT 5 §3.4.2.1: 0x90 Topic Name invalid — not malformed, but not accepted by this server.
        let puback = try publisher.nextAck(.puback)
        #expect(puback.packetID == 4)
        #expect(puback.reasonCode == .topicNameInvalid)
        #expect(try subscriber.all().isEmpty)
        // A filter that long is refused as well.
        #expect(try subscriber.subscribe(long, packetID: 2).reasonCodes == [.topicFilterInvalid])
        // At the limit everything works.
        try publisher.publish(String(repeating: "a", count: 16), "m")
        #expect(try subscriber.nextPublish().topic.count == 16)
    }

    @Test("A topic longer than maxTopicLength closes a 3.1.1 connection")
    func longTopicIn311() throws {
        let broker = TestBroker { $0.maxTopicLength = 16 }
        let subscriber = try broker.connected("sub", .v3_1_1)
        try subscriber.subscribe("#")
        #expect(
            try subscriber.subscribe(String(repeating: "a", count: 17), packetID: 2).reasonCodes == [.unspecifiedError])
        let publisher = try broker.connected("pub", .v3_1_1)
        try publisher.publish(String(repeating: "a", count: 17), "m", qos: .atLeastOnce)
        // [MQTT-3.3.5-2] (3.1.1) allows acknowledging or closing; either way nothing is delivered.
        #expect(try subscriber.all().isEmpty)
        #expect(!publisher.isActive)
    }

    @Test("A topic with more than maxTopicLevels levels is refused")
    func tooManyLevels() throws {
        let broker = TestBroker { $0.maxTopicLevels = 3 }
        let subscriber = try broker.connected("sub")
        #expect(try subscriber.subscribe("a/b/c/d").reasonCodes == [.topicFilterInvalid])
        try subscriber.subscribe("#", packetID: 2)
        let publisher = try broker.connected("pub")
        try publisher.publish("a/b/c/d", "m", qos: .atLeastOnce)
        #expect(try publisher.nextAck(.puback).reasonCode == .topicNameInvalid)
        #expect(try subscriber.all().isEmpty)
    }

    // MARK: - Malformed input (DESIGN §9)

    /// A PUBLISH fixed header whose remaining length runs to five bytes (MQTT 5 §1.5.5: at most four).
    private let fiveByteRemainingLength = ByteBuffer(bytes: [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])

    @Test("A malformed packet: MQTT 5 DISCONNECT 0x81, and other clients carry on")
    func malformedInMQTT5() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("t")
        let publisher = try broker.connected("pub")
        let bad = try broker.connected("bad")
        try bad.sendBytes(fiveByteRemainingLength)
        // [MQTT-4.13.1-1]; MQTT 5 §4.13: DISCONNECT 0x81 Malformed Packet, then close.
        try bad.expectDisconnect(.malformedPacket)
        #expect(!bad.isActive)
        #expect(broker.stats[.malformedPackets] == 1)

        try publisher.publish("t", "still here")
        #expect(try subscriber.nextPublish().payloadString == "still here")
        #expect(subscriber.isActive && publisher.isActive)
    }

    @Test("A malformed packet closes a 3.1.1 connection, and other clients carry on")
    func malformedIn311() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", .v3_1_1)
        try subscriber.subscribe("t")
        let publisher = try broker.connected("pub", .v3_1_1)
        let bad = try broker.connected("bad", .v3_1_1)
        try bad.sendBytes(fiveByteRemainingLength)
        // [MQTT-4.8.0-1] (3.1.1): close the network connection.
        #expect(try bad.all().isEmpty)
        #expect(!bad.isActive)

        try publisher.publish("t", "still here")
        #expect(try subscriber.nextPublish().payloadString == "still here")
    }

    @Test("Garbage instead of CONNECT closes the connection without an answer")
    func garbageBeforeConnect() throws {
        let broker = TestBroker()
        let client = try broker.client(.v5)
        try client.sendBytes(ByteBuffer(bytes: [0x00, 0x00, 0x00, 0x00]))
        // MQTT 5 §2.1.2: packet type 0 is reserved; before CONNECT there is nobody to tell.
        #expect(try client.all().isEmpty)
        #expect(!client.isActive)
    }

    // MARK: - Session queue bound

    @Test("An offline session queues at most maxQueuedMessages and counts the rest")
    func offlineQueueLimit() throws {
        let broker = TestBroker { $0.maxQueuedMessages = 3 }
        let properties: Properties = [.sessionExpiryInterval(300)]
        let subscriber = try broker.connected("sub", cleanStart: false, properties: properties)
        try subscriber.subscribe("chat/room", qos: .atLeastOnce)
        try subscriber.disconnect()

        let publisher = try broker.connected("pub")
        for index in 1...5 {
            try publisher.publish("chat/room", "m\(index)", qos: .atLeastOnce, packetID: UInt16(index))
        }
        // DESIGN §4.6, BrokerConfiguration.maxQueuedMessages: past the limit new messages are dropped
        // and counted.
        #expect(broker.stats[.messagesDroppedQueueFull] == 2)
        let again = try broker.connected("sub", cleanStart: false, properties: properties)
        #expect(try again.publishes().map(\.payloadString) == ["m1", "m2", "m3"])
    }

    // MARK: - Slow consumers (DESIGN §4.6)

    @Test("A subscriber that is not writable loses QoS 0 and gets QoS 1 once writable")
    func slowConsumer() throws {
        let broker = TestBroker()
        let slow = try broker.connected("slow")
        try slow.subscribe("chat/room", qos: .atLeastOnce)
        let fast = try broker.connected("fast")
        try fast.subscribe("chat/room", qos: .atLeastOnce)
        let publisher = try broker.connected("pub")

        slow.setWritable(false)
        try publisher.publish("chat/room", "qos0")
        try publisher.publish("chat/room", "qos1", qos: .atLeastOnce)
        #expect(try slow.all().isEmpty)
        #expect(broker.stats[.messagesDroppedNotWritable] == 1)
        #expect(broker.broker.session(clientID: "slow")?.queuedCount == 1)
        // The slow subscriber costs the others nothing.
        #expect(try fast.publishes().map(\.payloadString) == ["qos0", "qos1"])

        slow.setWritable(true)
        let delivered = try slow.publishes()
        #expect(delivered.map(\.payloadString) == ["qos1"])
        #expect(delivered.first?.qos == .atLeastOnce)
    }
}
