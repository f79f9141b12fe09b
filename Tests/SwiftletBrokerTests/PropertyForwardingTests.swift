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

/// MQTT 5 PUBLISH properties that the broker forwards unaltered (MQTT 5 §3.3.2.3).
@Suite("Forwarded PUBLISH properties")
struct PropertyForwardingTests {
    private let published: Properties = [
        .payloadFormatIndicator(1),
        .contentType("application/json; charset=utf-8"),
        .responseTopic("replies/alice"),
        .correlationData(ByteBuffer(bytes: [0x00, 0x01, 0xFE, 0xFF])),
        .userProperty("b", "2"),
        .userProperty("a", "1"),
        .userProperty("b", "3"),
    ]

    @Test(
        "Payload format, content type, response topic, correlation data and user properties pass unchanged",
        arguments: [QoS.atMostOnce, .atLeastOnce, .exactlyOnce])
    func propertiesForwarded(qos: QoS) throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("rpc/requests", qos: qos)
        let publisher = try broker.connected("pub")
        try publisher.publish("rpc/requests", #"{"op":"ping"}"#, qos: qos, properties: published)
        if qos == .exactlyOnce { try publisher.pubrel(1) }

        let properties = try subscriber.nextPublish().properties
        // [MQTT-3.3.2-4] payload format indicator; [MQTT-3.3.2-20] content type;
        // [MQTT-3.3.2-15] response topic; [MQTT-3.3.2-16] correlation data.
        #expect(properties.payloadFormatIndicator == 1)
        #expect(properties.contentType == "application/json; charset=utf-8")
        #expect(properties.responseTopic == "replies/alice")
        #expect(properties.correlationData == ByteBuffer(bytes: [0x00, 0x01, 0xFE, 0xFF]))
        // [MQTT-3.3.2-17] all user properties, [MQTT-3.3.2-18] in their order, repeats included.
        #expect(properties.userProperties.map { "\($0.0)=\($0.1)" } == ["b=2", "a=1", "b=3"])
    }

    @Test("Forwarded properties reach retained and queued deliveries too")
    func propertiesForwardedFromStorage() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", cleanStart: false, properties: [.sessionExpiryInterval(60)])
        try subscriber.subscribe("rpc/requests", qos: .atLeastOnce)
        try subscriber.disconnect()
        let publisher = try broker.connected("pub")
        try publisher.publish("rpc/requests", "{}", qos: .atLeastOnce, retain: true, properties: published)

        let queued = try broker.connected("sub", cleanStart: false, properties: [.sessionExpiryInterval(60)])
        #expect(try queued.nextPublish().properties.userProperties.map(\.1) == ["2", "1", "3"])
        let late = try broker.connected("late")
        try late.subscribe("rpc/requests")
        let retained = try late.nextPublish()
        #expect(retained.properties.responseTopic == "replies/alice")
        #expect(retained.properties.userProperties.map(\.0) == ["b", "a", "b"])
    }

    @Test("An MQTT 5 message reaches a 3.1.1 subscriber without properties")
    func propertiesDroppedForOlderClients() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub", .v3_1_1)
        try subscriber.subscribe("rpc/requests")
        let publisher = try broker.connected("pub")
        try publisher.publish("rpc/requests", "{}", properties: published)
        let publish = try subscriber.nextPublish()
        #expect(publish.payloadString == "{}")
        #expect(publish.properties.isEmpty)
    }

    @Test("A payload marked UTF-8 that is not is refused: PUBACK 0x99")
    func payloadFormatInvalid() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("t")
        let publisher = try broker.connected("pub")
        try publisher.publish(
            PublishPacket(
                topic: "t", payload: ByteBuffer(bytes: [0xC3, 0x28]), qos: .atLeastOnce, packetID: 8,
                properties: [.payloadFormatIndicator(1)]))
        // MQTT 5 §3.3.2.3.2: the receiver may check and answer 0x99 Payload format invalid.
        let puback = try publisher.nextAck(.puback)
        #expect(puback.packetID == 8)
        #expect(puback.reasonCode == .payloadFormatInvalid)
        #expect(try subscriber.all().isEmpty)
    }
}
