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

/// QoS 0/1/2 flows in both directions, packet identifiers, granted QoS, ordering and the
/// outbound inflight window (MQTT 5 §4.3, §4.6, §4.9; MQTT 3.1.1 §4.3, §4.6).
@Suite("QoS flows")
struct QoSFlowTests {
    // MARK: - Client to broker

    @Test("Inbound QoS 1 is answered with PUBACK and delivered", arguments: [ProtocolVersion.v3_1_1, .v5])
    func inboundQoS1(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", version)
        try subscriber.subscribe("chat/room", qos: .atLeastOnce)
        let publisher = try broker.connected("pub", version)
        try publisher.publish("chat/room", "hello", qos: .atLeastOnce, packetID: 42)
        // [MQTT-4.3.2-4] (5.0): PUBACK with the PUBLISH's packet identifier.
        let puback = try publisher.nextAck(.puback)
        #expect(puback.packetID == 42)
        #expect(puback.reasonCode == .success)
        #expect(try subscriber.nextPublish().payloadString == "hello")
    }

    @Test("MQTT 5 PUBACK says 0x10 when nobody subscribed")
    func inboundQoS1WithoutSubscribers() throws {
        let broker = TestBroker()
        let publisher = try broker.connected("pub")
        try publisher.publish("chat/empty", "hello?", qos: .atLeastOnce, packetID: 5)
        // MQTT 5 §3.4.2.1: 0x10 No matching subscribers (still a success code).
        let puback = try publisher.nextAck(.puback)
        #expect(puback.packetID == 5)
        #expect(puback.reasonCode == .noMatchingSubscribers)
    }

    @Test("Inbound QoS 2: PUBREC, then PUBCOMP for PUBREL", arguments: [ProtocolVersion.v3_1_1, .v5])
    func inboundQoS2(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", version)
        try subscriber.subscribe("chat/room", qos: .exactlyOnce)
        let publisher = try broker.connected("pub", version)
        try publisher.publish("chat/room", "once", qos: .exactlyOnce, packetID: 9)
        // [MQTT-4.3.3-8]: PUBREC with the identifier of the PUBLISH.
        let pubrec = try publisher.nextAck(.pubrec)
        #expect(pubrec.packetID == 9)
        #expect(pubrec.reasonCode == .success)
        try publisher.pubrel(9)
        // [MQTT-4.3.3-11]: PUBCOMP with the identifier of the PUBREL.
        let pubcomp = try publisher.nextAck(.pubcomp)
        #expect(pubcomp.packetID == 9)
        #expect(pubcomp.reasonCode == .success)
        #expect(try subscriber.publishes().map(\.payloadString) == ["once"])
    }

    @Test(
        "A duplicate QoS 2 PUBLISH before PUBREL is acknowledged but not delivered again",
        arguments: [ProtocolVersion.v3_1_1, .v5])
    func duplicateQoS2NotDeliveredTwice(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", version)
        try subscriber.subscribe("chat/room", qos: .exactlyOnce)
        let publisher = try broker.connected("pub", version)
        try publisher.publish("chat/room", "once", qos: .exactlyOnce, packetID: 3)
        #expect(try publisher.nextAck(.pubrec).packetID == 3)
        try publisher.publish(
            PublishPacket(
                topic: "chat/room", payload: ByteBuffer(string: "once"), qos: .exactlyOnce, dup: true, packetID: 3))
        // [MQTT-4.3.3-10]: PUBREC again, and no duplicate to onward recipients.
        #expect(try publisher.nextAck(.pubrec).packetID == 3)
        try publisher.pubrel(3)
        #expect(try publisher.nextAck(.pubcomp).packetID == 3)
        #expect(try subscriber.publishes().map(\.payloadString) == ["once"])
    }

    @Test("After PUBCOMP the same packet identifier carries a new message")
    func identifierReusableAfterPubcomp() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("chat/room", qos: .exactlyOnce)
        let publisher = try broker.connected("pub")
        for text in ["first", "second"] {
            try publisher.publish("chat/room", text, qos: .exactlyOnce, packetID: 1)
            #expect(try publisher.nextAck(.pubrec).packetID == 1)
            try publisher.pubrel(1)
            #expect(try publisher.nextAck(.pubcomp).packetID == 1)
        }
        // [MQTT-4.3.3-12]: a new Application Message once PUBCOMP was sent.
        #expect(try subscriber.publishes().map(\.payloadString) == ["first", "second"])
    }

    @Test("PUBREL for an unknown identifier still gets PUBCOMP (0x92 in MQTT 5)")
    func pubrelForUnknownIdentifier() throws {
        let broker = TestBroker()
        let publisher = try broker.connected("pub")
        try publisher.pubrel(77)
        // [MQTT-4.3.3-11]; MQTT 5 §3.7.2.1: 0x92 Packet Identifier not found.
        let pubcomp = try publisher.nextAck(.pubcomp)
        #expect(pubcomp.packetID == 77)
        #expect(pubcomp.reasonCode == .packetIdentifierNotFound)
        #expect(publisher.isActive)
    }

    // MARK: - Broker to client

    @Test("Outbound QoS 1 uses distinct non-zero identifiers until PUBACK", arguments: [ProtocolVersion.v3_1_1, .v5])
    func outboundQoS1(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", version)
        try subscriber.subscribe("chat/room", qos: .atLeastOnce)
        let publisher = try broker.connected("pub", version)
        try publisher.publish("chat/room", "a", qos: .atLeastOnce, packetID: 1)
        try publisher.publish("chat/room", "b", qos: .atLeastOnce, packetID: 2)
        let delivered = try subscriber.publishes()
        #expect(delivered.map(\.payloadString) == ["a", "b"])
        #expect(delivered.allSatisfy { $0.qos == .atLeastOnce && !$0.dup })
        // [MQTT-2.2.1-4]: non-zero identifiers not currently in use.
        let ids = delivered.compactMap(\.packetID)
        #expect(ids.count == 2)
        #expect(!ids.contains(0))
        #expect(Set(ids).count == 2)
        for publish in delivered { try subscriber.puback(try #require(publish.packetID)) }
        #expect(broker.broker.session(clientID: "sub")?.inflightCount == 0)
    }

    @Test(
        "Subscribers of one QoS 1/2 message share its packet identifier where their sessions have it free",
        arguments: [QoS.atLeastOnce, .exactlyOnce])
    func sharedPacketIdentifier(qos: QoS) throws {
        let broker = TestBroker()
        let first = try broker.connected("first", .v3_1_1)
        try first.subscribe("chat/room", qos: qos)
        let second = try broker.connected("second", .v5)
        try second.subscribe("chat/room", qos: qos)
        try second.subscribe("chat/other", qos: qos)
        let third = try broker.connected("third", .v5)
        try third.subscribe("chat/other", qos: qos)
        let publisher = try broker.connected("pub")
        try publisher.publish("chat/room", "one", qos: qos, packetID: 1)
        let firstOne = try first.nextPublish()
        let secondOne = try second.nextPublish()
        // Both sessions had it free: one identifier, so one encoding per protocol family.
        #expect(firstOne.packetID == secondOne.packetID)
        #expect(firstOne.payloadString == "one" && secondOne.payloadString == "one")

        // "second" still holds that identifier; "third" (a new session) takes it first or is offered it.
        try publisher.publish("chat/other", "two", qos: qos, packetID: 2)
        let secondTwo = try second.nextPublish()
        let thirdTwo = try third.nextPublish()
        #expect(secondTwo.payloadString == "two" && thirdTwo.payloadString == "two")
        #expect(secondTwo.qos == qos && !secondTwo.dup)
        // [MQTT-2.2.1-3]: never an identifier the session still has in use.
        #expect(secondTwo.packetID != secondOne.packetID)
        for (client, publish) in [(first, firstOne), (second, secondOne), (second, secondTwo), (third, thirdTwo)] {
            try client.acknowledge(publish)
        }
        for id in ["first", "second", "third"] {
            #expect(broker.broker.session(clientID: id)?.inflightCount == 0)
        }
    }

    @Test("Outbound QoS 2: PUBLISH, PUBREC → PUBREL, PUBCOMP", arguments: [ProtocolVersion.v3_1_1, .v5])
    func outboundQoS2(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", version)
        try subscriber.subscribe("chat/room", qos: .exactlyOnce)
        let publisher = try broker.connected("pub", version)
        try publisher.publish("chat/room", "exactly", qos: .exactlyOnce, packetID: 1)
        let publish = try subscriber.nextPublish()
        #expect(publish.qos == .exactlyOnce)
        // [MQTT-4.3.3-2]: DUP 0 on the first send; [MQTT-2.2.1-4]: a non-zero identifier.
        #expect(!publish.dup)
        let packetID = try #require(publish.packetID)
        #expect(packetID != 0)
        try subscriber.pubrec(packetID)
        // [MQTT-4.3.3-4]: PUBREL with the same identifier.
        #expect(try subscriber.nextAck(.pubrel).packetID == packetID)
        try subscriber.pubcomp(packetID)
        #expect(try subscriber.all().isEmpty)
        #expect(broker.broker.session(clientID: "sub")?.inflightCount == 0)
    }

    struct GrantedQoSCase: Sendable, CustomTestStringConvertible {
        var published: QoS
        var subscribed: QoS
        var delivered: QoS
        var testDescription: String {
            "published \(published.rawValue), subscribed \(subscribed.rawValue) → \(delivered.rawValue)"
        }
    }

    static let grantedQoSCases: [GrantedQoSCase] = [
        GrantedQoSCase(published: .exactlyOnce, subscribed: .atMostOnce, delivered: .atMostOnce),
        GrantedQoSCase(published: .exactlyOnce, subscribed: .atLeastOnce, delivered: .atLeastOnce),
        GrantedQoSCase(published: .atMostOnce, subscribed: .exactlyOnce, delivered: .atMostOnce),
        GrantedQoSCase(published: .atLeastOnce, subscribed: .exactlyOnce, delivered: .atLeastOnce),
        GrantedQoSCase(published: .exactlyOnce, subscribed: .exactlyOnce, delivered: .exactlyOnce),
    ]

    @Test("Delivery QoS is the minimum of published and granted QoS", arguments: grantedQoSCases)
    func grantedQoS(testCase: GrantedQoSCase) throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", .v3_1_1)
        let suback = try subscriber.subscribe("chat/room", qos: testCase.subscribed)
        #expect(suback.reasonCodes == [ReasonCode(testCase.subscribed.rawValue)])
        let publisher = try broker.connected("pub", .v3_1_1)
        try publisher.publish("chat/room", "m", qos: testCase.published, packetID: 1)
        // [MQTT-3.8.4-8] (5.0) / [MQTT-3.8.4-6] (3.1.1)
        let publish = try subscriber.nextPublish()
        #expect(publish.qos == testCase.delivered)
        #expect((publish.packetID != nil) == (testCase.delivered != .atMostOnce))
    }

    // MARK: - Ordering

    @Test(
        "Messages from one publisher arrive in publish order", arguments: [QoS.atMostOnce, .atLeastOnce, .exactlyOnce])
    func inOrderDelivery(qos: QoS) throws {
        // A window wide enough for all 200 unacknowledged messages: the subscriber does not ack.
        let broker = TestBroker { $0.maxInflight = 1000 }
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("chat/room", qos: qos)
        let publisher = try broker.connected("pub")
        let texts = (0..<200).map { "m\($0)" }
        for (index, text) in texts.enumerated() {
            let packetID = UInt16(index % 1000 + 1)
            try publisher.publish("chat/room", text, qos: qos, packetID: packetID)
            if qos == .exactlyOnce { try publisher.pubrel(packetID) }
        }
        // MQTT 5 §4.6: same topic and QoS in the order received from a client; DESIGN §4.7.
        let delivered = try subscriber.publishes()
        #expect(delivered.map(\.payloadString) == texts)
    }

    @Test("Order holds through a small receive window")
    func inOrderThroughWindow() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", properties: [.receiveMaximum(2)])
        try subscriber.subscribe("chat/room", qos: .atLeastOnce)
        let publisher = try broker.connected("pub")
        let texts = (0..<20).map { "m\($0)" }
        for (index, text) in texts.enumerated() {
            try publisher.publish("chat/room", text, qos: .atLeastOnce, packetID: UInt16(index + 1))
        }
        var received: [String] = []
        while let packet = try subscriber.next() {
            guard case .publish(let publish) = packet else {
                Issue.record("unexpected \(packet)")
                break
            }
            received.append(publish.payloadString)
            try subscriber.acknowledge(publish)
        }
        // MQTT 5 §4.6 (ordered topics); DESIGN §4.7
        #expect(received == texts)
    }

    // MARK: - Outbound inflight window

    @Test("The broker keeps at most Receive Maximum QoS 1 messages unacknowledged")
    func outboundWindowQoS1() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", properties: [.receiveMaximum(2)])
        try subscriber.subscribe("chat/room", qos: .atLeastOnce)
        let publisher = try broker.connected("pub")
        for index in 1...5 {
            try publisher.publish("chat/room", "m\(index)", qos: .atLeastOnce, packetID: UInt16(index))
        }
        // [MQTT-3.3.4-9]: no more than Receive Maximum unacknowledged QoS 1/2 PUBLISH packets.
        let firstTwo = try subscriber.publishes()
        #expect(firstTwo.map(\.payloadString) == ["m1", "m2"])

        try subscriber.puback(try #require(firstTwo[0].packetID))
        #expect(try subscriber.publishes().map(\.payloadString) == ["m3"])
        try subscriber.puback(try #require(firstTwo[1].packetID))
        let fourth = try subscriber.publishes()
        #expect(fourth.map(\.payloadString) == ["m4"])
        #expect(try subscriber.all().isEmpty)
        #expect(broker.broker.session(clientID: "sub")?.queuedCount == 1)
    }

    @Test("A QoS 2 message holds its window slot until PUBCOMP")
    func outboundWindowQoS2() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", properties: [.receiveMaximum(1)])
        try subscriber.subscribe("chat/room", qos: .exactlyOnce)
        let publisher = try broker.connected("pub")
        for index in 1...2 {
            try publisher.publish("chat/room", "m\(index)", qos: .exactlyOnce, packetID: UInt16(index))
            try publisher.pubrel(UInt16(index))
        }
        let first = try subscriber.nextPublish()
        #expect(first.payloadString == "m1")
        #expect(try subscriber.all().isEmpty)
        let packetID = try #require(first.packetID)
        try subscriber.pubrec(packetID)
        // [MQTT-3.3.4-9]: a PUBREC below 0x80 does not free the slot, only PUBCOMP does.
        #expect(try subscriber.nextAck(.pubrel).packetID == packetID)
        #expect(try subscriber.all().isEmpty)
        try subscriber.pubcomp(packetID)
        #expect(try subscriber.nextPublish().payloadString == "m2")
    }

    @Test("A full window does not hold back other packets")
    func fullWindowDoesNotDelayControlPackets() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", properties: [.receiveMaximum(1)])
        try subscriber.subscribe("chat/room", qos: .atLeastOnce)
        let publisher = try broker.connected("pub")
        try publisher.publish("chat/room", "m1", qos: .atLeastOnce, packetID: 1)
        try publisher.publish("chat/room", "m2", qos: .atLeastOnce, packetID: 2)
        _ = try subscriber.nextPublish()
        // [MQTT-3.3.4-10]: only PUBLISH waits for the window.
        try subscriber.send(.pingreq)
        #expect(try subscriber.next() == .pingresp)
        let suback = try subscriber.subscribe("other", qos: .atLeastOnce, packetID: 9)
        #expect(suback.reasonCodes == [.grantedQoS1])
    }

    @Test("3.1.1 clients get maxInflight as their window")
    func outboundWindowFor311() throws {
        let broker = TestBroker { $0.maxInflight = 2 }
        let subscriber = try broker.connected("sub", .v3_1_1)
        try subscriber.subscribe("chat/room", qos: .atLeastOnce)
        let publisher = try broker.connected("pub", .v3_1_1)
        for index in 1...4 {
            try publisher.publish("chat/room", "m\(index)", qos: .atLeastOnce, packetID: UInt16(index))
        }
        // BrokerConfiguration.maxInflight: the window for clients that state no Receive Maximum.
        let firstTwo = try subscriber.publishes()
        #expect(firstTwo.map(\.payloadString) == ["m1", "m2"])
        try subscriber.puback(try #require(firstTwo.first?.packetID))
        #expect(try subscriber.publishes().map(\.payloadString) == ["m3"])
    }

    @Test("A PUBREC with a failure code ends the QoS 2 flow without PUBREL")
    func pubrecFailureEndsFlow() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", properties: [.receiveMaximum(1)])
        try subscriber.subscribe("chat/room", qos: .exactlyOnce)
        let publisher = try broker.connected("pub")
        for index in 1...2 {
            try publisher.publish("chat/room", "m\(index)", qos: .exactlyOnce, packetID: UInt16(index))
            try publisher.pubrel(UInt16(index))
        }
        let first = try subscriber.nextPublish()
        try subscriber.send(.pubrec(AckPacket(packetID: try #require(first.packetID), reasonCode: .unspecifiedError)))
        // [MQTT-4.3.3-4]: PUBREL only for a PUBREC below 0x80; [MQTT-3.3.4-9]: the slot is free again.
        let next = try subscriber.nextPublish()
        #expect(next.payloadString == "m2")
        #expect(try subscriber.all().isEmpty)
    }
}
