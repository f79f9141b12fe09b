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

/// Will messages: when they are published, delayed, cancelled (MQTT 5 §3.1.2.5, §3.1.3.2;
/// MQTT 3.1.1 §3.1.2.5).
@Suite("Will messages")
struct WillTests {
    private func will(
        _ text: String = "gone", qos: QoS = .atLeastOnce, retain: Bool = false, properties: Properties = []
    ) -> WillMessage {
        WillMessage(
            topic: "status/alice", payload: ByteBuffer(string: text), qos: qos, retain: retain, properties: properties)
    }

    /// A client watching `status/alice`, where the wills of these tests go.
    private func makeWatcher(_ broker: TestBroker, _ version: ProtocolVersion = .v5) throws -> TestClient {
        let watcher = try broker.connected("watcher", version)
        try watcher.subscribe("status/alice", qos: .atLeastOnce)
        return watcher
    }

    @Test("A connection closed without DISCONNECT publishes the will", arguments: [ProtocolVersion.v3_1, .v3_1_1, .v5])
    func abruptCloseSendsWill(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let watcher = try makeWatcher(broker, version)
        let alice = try broker.connected("alice", version, will: will(qos: .atLeastOnce))
        #expect(try watcher.all().isEmpty)
        try alice.drop()
        // [MQTT-3.1.2-8]: published when the network connection closes without a normal DISCONNECT.
        let publish = try watcher.nextPublish()
        #expect(publish.topic == "status/alice")
        #expect(publish.payloadString == "gone")
        #expect(publish.qos == .atLeastOnce)
        #expect(broker.stats[.willsPublished] == 1)
    }

    @Test("A normal DISCONNECT discards the will", arguments: [ProtocolVersion.v3_1_1, .v5])
    func normalDisconnectDiscardsWill(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let watcher = try makeWatcher(broker, version)
        let alice = try broker.connected("alice", version, will: will())
        try alice.disconnect()
        #expect(!alice.isActive)
        // [MQTT-3.1.2-10]: removed on receipt of DISCONNECT (0x00 in MQTT 5).
        #expect(try watcher.all().isEmpty)
        broker.advance(by: .seconds(60))
        #expect(try watcher.all().isEmpty)
    }

    @Test("MQTT 5 DISCONNECT 0x04 publishes the will")
    func disconnectWithWillMessage() throws {
        let broker = TestBroker()
        let watcher = try makeWatcher(broker)
        let alice = try broker.connected("alice", will: will())
        try alice.disconnect(.disconnectWithWillMessage)
        #expect(!alice.isActive)
        // MQTT 5 §3.14.2.1: 0x04 Disconnect with Will Message.
        #expect(try watcher.nextPublish().payloadString == "gone")
    }

    @Test("A will with Will Retain is published as a retained message")
    func willRetain() throws {
        let broker = TestBroker()
        let alice = try broker.connected("alice", will: will(retain: true))
        try alice.drop()
        // [MQTT-3.1.2-15] (5.0) / [MQTT-3.1.2-17] (3.1.1): published as a retained message.
        let late = try broker.connected("late")
        try late.subscribe("status/alice")
        let publish = try late.nextPublish()
        #expect(publish.payloadString == "gone")
        #expect(publish.retain)
    }

    @Test("A protocol violation publishes the will")
    func protocolViolationSendsWill() throws {
        let broker = TestBroker()
        let watcher = try makeWatcher(broker)
        let alice = try broker.connected("alice", will: will())
        try alice.sendBytes(ByteBuffer(bytes: [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]))
        #expect(!alice.isActive)
        // [MQTT-3.1.2-8]: any close other than a normal DISCONNECT, the server's own included.
        #expect(try watcher.nextPublish().payloadString == "gone")
    }

    @Test("Will properties are forwarded, the Will Delay Interval is not")
    func willProperties() throws {
        let broker = TestBroker()
        let watcher = try makeWatcher(broker)
        let alice = try broker.connected(
            "alice",
            will: will(properties: [
                .willDelayInterval(1), .contentType("text/plain"), .userProperty("reason", "crash"),
            ]),
            properties: [.sessionExpiryInterval(60)])
        try alice.drop()
        broker.advance(by: .seconds(1))
        let publish = try watcher.nextPublish()
        // MQTT 5 §3.1.3.2: the will properties go with the will message, except the delay.
        #expect(publish.properties.contentType == "text/plain")
        #expect(publish.properties.userProperties.map { "\($0.0)=\($0.1)" } == ["reason=crash"])
        #expect(publish.properties.willDelayInterval == nil)
    }

    // MARK: - Will delay (MQTT 5 §3.1.3.2.2)

    @Test("The will waits for its Will Delay Interval")
    func willDelay() throws {
        let broker = TestBroker()
        let watcher = try makeWatcher(broker)
        let alice = try broker.connected(
            "alice", will: will(properties: [.willDelayInterval(5)]), properties: [.sessionExpiryInterval(60)])
        try alice.drop()
        broker.advance(by: .seconds(4))
        #expect(try watcher.all().isEmpty)
        broker.advance(by: .seconds(1))
        // MQTT 5 §3.1.3.2.2: published once the delay has passed.
        #expect(try watcher.nextPublish().payloadString == "gone")
    }

    @Test("Reconnecting within the Will Delay Interval cancels the will")
    func reconnectCancelsDelayedWill() throws {
        let broker = TestBroker()
        let watcher = try makeWatcher(broker)
        let alice = try broker.connected(
            "alice", will: will(properties: [.willDelayInterval(5)]), properties: [.sessionExpiryInterval(60)])
        try alice.drop()
        broker.advance(by: .seconds(3))
        let again = try broker.client(.v5)
        let connack = try again.connect(clientID: "alice", cleanStart: false, properties: [.sessionExpiryInterval(60)])
        #expect(connack.sessionPresent)
        broker.advance(by: .seconds(10))
        // [MQTT-3.1.2-8] [MQTT-3.1.3-9]: not published when a new connection to the session opens
        // before the delay ends.
        #expect(try watcher.all().isEmpty)
        #expect(broker.stats[.willsPublished] == 0)
    }

    @Test("A session that ends before the Will Delay Interval publishes the will then")
    func sessionEndPublishesDelayedWill() throws {
        let broker = TestBroker()
        let watcher = try makeWatcher(broker)
        let alice = try broker.connected(
            "alice", will: will(properties: [.willDelayInterval(30)]), properties: [.sessionExpiryInterval(5)])
        try alice.drop()
        broker.advance(by: .seconds(4))
        #expect(try watcher.all().isEmpty)
        broker.advance(by: .seconds(1))
        // MQTT 5 §3.1.3.2.2: whichever comes first, the delay or the end of the session.
        #expect(try watcher.nextPublish().payloadString == "gone")
        broker.advance(by: .seconds(30))
        #expect(try watcher.all().isEmpty)
    }

    @Test("A delayed will with session expiry 0 is published when the connection closes")
    func delayedWillWithoutSession() throws {
        let broker = TestBroker()
        let watcher = try makeWatcher(broker)
        let alice = try broker.connected("alice", will: will(properties: [.willDelayInterval(30)]))
        try alice.drop()
        // MQTT 5 §3.1.3.2.2: the session ends at once, so the will goes at once.
        #expect(try watcher.nextPublish().payloadString == "gone")
    }

    // MARK: - Keep-alive

    @Test("A keep-alive timeout publishes the will", arguments: [ProtocolVersion.v3_1_1, .v5])
    func keepAliveTimeoutSendsWill(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let watcher = try makeWatcher(broker, version)
        let alice = try broker.connected("alice", version, keepAlive: 10, will: will())
        broker.advance(by: .seconds(15))
        #expect(!alice.isActive)
        // [MQTT-3.1.2-22] (5.0) closes "as if the network had failed", so [MQTT-3.1.2-8] applies.
        #expect(try watcher.nextPublish().payloadString == "gone")
    }

    @Test("A takeover publishes the will of the connection it closes")
    func takeoverSendsWill() throws {
        let broker = TestBroker()
        let watcher = try makeWatcher(broker)
        let alice = try broker.connected("alice", will: will())
        let again = try broker.connected("alice")
        try alice.expectDisconnect(.sessionTakenOver)
        // MQTT 5 §3.1.4: the existing client's will is published as described in §3.1.2.5.
        #expect(try watcher.nextPublish().payloadString == "gone")
        #expect(again.isActive)
    }

    @Test("A will topic longer than maxTopicLength refuses the CONNECT with 0x90")
    func willTopicTooLong() throws {
        let broker = TestBroker { $0.maxTopicLength = 8 }
        let alice = try broker.client(.v5)
        let connack = try alice.connect(
            clientID: "alice",
            will: WillMessage(
                topic: "status/alice/long", payload: ByteBuffer(string: "gone"), qos: .atMostOnce, retain: false))
        // MQTT 5 §3.2.2.2: 0x90 Topic Name invalid (the Will Topic is not accepted).
        #expect(connack.reasonCode == .topicNameInvalid)
        #expect(!alice.isActive)
    }
}
