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
import SwiftletAuth
import SwiftletMQTT
import Testing
@testable import SwiftletBroker

/// DESIGN §7: the user properties between the broker and `cloud` backends.
@Suite("Cloud property mapping")
struct CloudPropertyTests {
    func broker() -> TestBroker {
        TestBroker {
            $0.accessKeys = [AccessKey(id: "CLOUD", secret: "cloud-secret", role: .cloud)]
        }
    }

    /// A backend connected with a `cloud` access key.
    func cloudClient(_ broker: TestBroker, _ clientID: String = "GID_backend@@@1") throws -> TestClient {
        let client = try broker.client(.v5)
        let password = Signature.password(secretKey: "cloud-secret", clientID: clientID)
        let connack = try client.connect(
            clientID: clientID, username: "Signature|CLOUD|inst", password: ByteBuffer(string: password))
        try #require(connack.reasonCode == .success)
        return client
    }

    func userProperties(_ publish: PublishPacket) -> [String: String] {
        Dictionary(publish.properties.userProperties, uniquingKeysWith: { first, _ in first })
    }

    @Test("A cloud subscriber sees clientId, qoslevel, cleansessionflag and mqttSecondTopic; others do not")
    func annotationsToCloud() throws {
        let broker = broker()
        let cloud = try cloudClient(broker)
        try cloud.subscribe("chat/#", qos: .atLeastOnce)
        let device = try broker.connected("GID_dev@@@1")
        try device.subscribe("chat/#", qos: .atLeastOnce)
        let publisher = try broker.connected("GID_dev@@@2", cleanStart: true)
        // A publisher cannot pass itself off as someone else.
        try publisher.publish(
            "chat/room1/x", "hi", qos: .atLeastOnce, properties: [.userProperty("clientId", "evil"), .userProperty("k", "v")])
        _ = try publisher.nextAck(.puback)

        let toCloud = try cloud.nextPublish()
        #expect(toCloud.topic == "chat/room1/x")
        let properties = toCloud.properties.userProperties
        #expect(properties.filter { $0.0 == "clientId" }.map(\.1) == ["GID_dev@@@2"])
        #expect(userProperties(toCloud)["qoslevel"] == "1")
        #expect(userProperties(toCloud)["cleansessionflag"] == "true")
        #expect(userProperties(toCloud)["mqttSecondTopic"] == "/room1/x")
        #expect(userProperties(toCloud)["k"] == "v")

        let toDevice = try device.nextPublish()
        #expect(userProperties(toDevice) == ["clientId": "evil", "k": "v"])

        // QoS 0 from a persistent session: qoslevel 0, cleansessionflag false; a one-level topic has no second topic.
        let persistent = try broker.connected("GID_dev@@@3", cleanStart: false)
        try persistent.publish("chat", "top", qos: .atMostOnce)
        let top = try cloud.nextPublish()
        #expect(userProperties(top)["qoslevel"] == "0")
        #expect(userProperties(top)["cleansessionflag"] == "false")
        #expect(userProperties(top)["mqttSecondTopic"] == nil)
    }

    @Test("A cloud publish with mqttSecondTopic and qoslevel lands on {parent}{second} at that QoS")
    func secondTopicFromCloud() throws {
        let broker = broker()
        let device = try broker.connected("GID_dev@@@1")
        try device.subscribe("chat/room1", qos: .exactlyOnce)
        let cloud = try cloudClient(broker)
        try cloud.publish(
            "chat", "to room", qos: .atMostOnce,
            properties: [.userProperty("mqttSecondTopic", "/room1"), .userProperty("qoslevel", "1")])
        let received = try device.nextPublish()
        #expect(received.topic == "chat/room1")
        #expect(received.qos == .atLeastOnce)
        #expect(received.payloadString == "to room")
        // The instructions are the broker's; subscribers do not see them.
        #expect(userProperties(received)["mqttSecondTopic"] == nil)
        #expect(userProperties(received)["qoslevel"] == nil)

        // The parent must be one level.
        try cloud.publish(
            "chat/a", "no", qos: .atLeastOnce, packetID: 7, properties: [.userProperty("mqttSecondTopic", "/room1")])
        #expect(try cloud.nextAck(.puback).reasonCode == .topicNameInvalid)
        try cloud.publish("chat", "no", qos: .atLeastOnce, packetID: 8, properties: [.userProperty("qoslevel", "3")])
        #expect(try cloud.nextAck(.puback).reasonCode == .implementationSpecificError)
        #expect(try device.next() == nil)
    }

    @Test("A device's mqttSecondTopic is just a user property")
    func deviceInstructionsIgnored() throws {
        let broker = broker()
        let device = try broker.connected("GID_dev@@@1")
        try device.subscribe("chat/#", qos: .atLeastOnce)
        let other = try broker.connected("GID_dev@@@2")
        try other.publish("chat", "plain", qos: .atMostOnce, properties: [.userProperty("mqttSecondTopic", "/room1")])
        let received = try device.nextPublish()
        #expect(received.topic == "chat")
        #expect(userProperties(received)["mqttSecondTopic"] == "/room1")
    }

    @Test("A cloud P2P publish with mqttRealTopic reaches its client on the real topic")
    func realTopic() throws {
        let broker = broker()
        let target = try broker.connected("GID_dev@@@9")
        let bystander = try broker.connected("GID_dev@@@8")
        try bystander.subscribe("chat/#")
        let cloud = try cloudClient(broker)
        try cloud.publish(
            "chat/p2p/GID_dev@@@9", "just you", qos: .atLeastOnce, packetID: 3,
            properties: [.userProperty("mqttRealTopic", "chat/room5")])
        #expect(try cloud.nextAck(.puback).reasonCode == .success)
        let received = try target.nextPublish()
        #expect(received.topic == "chat/room5")
        #expect(received.payloadString == "just you")
        #expect(userProperties(received)["mqttRealTopic"] == nil)
        #expect(try bystander.next() == nil)

        // Only on p2p topics.
        try cloud.publish(
            "chat/room1", "no", qos: .atLeastOnce, packetID: 4, properties: [.userProperty("mqttRealTopic", "chat/x")])
        #expect(try cloud.nextAck(.puback).reasonCode == .topicNameInvalid)

        // Never a broker topic: a backend cannot forge the broker's notices.
        try cloud.publish(
            "chat/p2p/GID_dev@@@9", "forged", qos: .atLeastOnce, packetID: 5,
            properties: [.userProperty("mqttRealTopic", "$SYS/tokenInvalidNotice")])
        #expect(try cloud.nextAck(.puback).reasonCode == .notAuthorized)
        #expect(try target.next() == nil)
    }

    @Test("secondTopic(of:) keeps the leading slash")
    func secondTopicOf() {
        #expect(CloudUserProperties.secondTopic(of: "chat/room1/x") == "/room1/x")
        #expect(CloudUserProperties.secondTopic(of: "chat/") == "/")
        #expect(CloudUserProperties.secondTopic(of: "chat") == nil)
    }
}
