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

/// Session state across connections: clean start, persistence, expiry, takeover and resumption
/// (MQTT 5 §3.1.2.4, §3.1.2.11.2, §3.1.4, §4.1, §4.4; MQTT 3.1.1 §3.1.2.4, §4.1, §4.4).
@Suite("Sessions")
struct SessionTests {
    /// Connects `clientID` asking for a session that outlives the connection: clean start 0, plus
    /// a Session Expiry Interval for MQTT 5 (3.1.1 sessions persist until the broker's maximum).
    private func connectPersistent(
        _ broker: TestBroker, _ clientID: String, _ version: ProtocolVersion, expiry: UInt32 = 300,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (TestClient, ConnAckPacket) {
        let client = try broker.client(version)
        let properties: Properties = version == .v5 ? [.sessionExpiryInterval(expiry)] : []
        let connack = try client.connect(
            clientID: clientID, cleanStart: false, properties: properties, sourceLocation: sourceLocation)
        #expect(connack.reasonCode == .success, sourceLocation: sourceLocation)
        return (client, connack)
    }

    // MARK: - Clean start and persistence

    @Test("Clean start discards the previous session", arguments: [ProtocolVersion.v3_1_1, .v5])
    func cleanStartDiscardsSession(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let (alice, _) = try connectPersistent(broker, "alice", version)
        try alice.subscribe("chat/room", qos: .atLeastOnce)
        try alice.disconnect()

        let again = try broker.client(version)
        let connack = try again.connect(
            clientID: "alice", cleanStart: true, properties: version == .v5 ? [.sessionExpiryInterval(300)] : [])
        // [MQTT-3.1.2-4] (5.0) / [MQTT-3.1.2-6] (3.1.1): the old session is discarded;
        // [MQTT-3.2.2-2]: Session Present 0.
        #expect(!connack.sessionPresent)

        let bob = try broker.connected("bob", version)
        try bob.publish("chat/room", "hello", qos: .atLeastOnce)
        // The old subscription went with the session.
        #expect(try again.all().isEmpty)
    }

    @Test(
        "A persistent session keeps its subscriptions and queues QoS 1 and 2 while offline",
        arguments: [ProtocolVersion.v3_1_1, .v5])
    func persistentSessionQueuesWhileOffline(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let (alice, first) = try connectPersistent(broker, "alice", version)
        #expect(!first.sessionPresent)
        try alice.subscribe("chat/room", qos: .exactlyOnce)
        try alice.disconnect()
        #expect(!alice.isActive)

        let bob = try broker.connected("bob", version)
        try bob.publish("chat/room", "one", qos: .atLeastOnce, packetID: 1)
        try bob.publish("chat/room", "two", qos: .exactlyOnce, packetID: 2)
        try bob.pubrel(2)

        let (again, connack) = try connectPersistent(broker, "alice", version)
        // [MQTT-3.1.2-5] the session resumes; [MQTT-3.2.2-3] Session Present 1.
        #expect(connack.sessionPresent)
        // [MQTT-3.1.2-23] (5.0) / MQTT 3.1.1 §3.1.2.4: QoS 1 and 2 messages are part of the session state.
        let delivered = try again.publishes()
        #expect(delivered.map(\.payloadString) == ["one", "two"])
        #expect(delivered.map(\.qos) == [.atLeastOnce, .exactlyOnce])
        for publish in delivered { try again.acknowledge(publish) }

        // The subscription survived too: a new message arrives live.
        try bob.publish("chat/room", "three", qos: .atLeastOnce, packetID: 3)
        #expect(try again.nextPublish().payloadString == "three")
    }

    @Test("QoS 0 messages are not queued for an offline session", arguments: [ProtocolVersion.v3_1_1, .v5])
    func qos0NotQueuedOffline(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let (alice, _) = try connectPersistent(broker, "alice", version)
        try alice.subscribe("chat/room", qos: .atLeastOnce)
        try alice.disconnect()

        let bob = try broker.connected("bob", version)
        try bob.publish("chat/room", "qos0")
        try bob.publish("chat/room", "qos1", qos: .atLeastOnce)

        // MQTT 5 §3.1.2.4: queuing QoS 0 messages is optional; Swiftlet does not by default
        // (BrokerConfiguration.queueQoS0Offline).
        let (again, connack) = try connectPersistent(broker, "alice", version)
        #expect(connack.sessionPresent)
        #expect(try again.publishes().map(\.payloadString) == ["qos1"])
    }

    @Test("queueQoS0Offline keeps QoS 0 messages for an offline session")
    func qos0QueuedOfflineWhenConfigured() throws {
        let broker = TestBroker { $0.queueQoS0Offline = true }
        let (alice, _) = try connectPersistent(broker, "alice", .v5)
        try alice.subscribe("chat/room")
        try alice.disconnect()

        let bob = try broker.connected("bob")
        try bob.publish("chat/room", "qos0")

        let (again, _) = try connectPersistent(broker, "alice", .v5)
        let delivered = try again.publishes()
        #expect(delivered.map(\.payloadString) == ["qos0"])
        #expect(delivered.first?.qos == .atMostOnce)
    }

    // MARK: - Session expiry (MQTT 5)

    @Test("An MQTT 5 session without Session Expiry Interval ends with its connection")
    func zeroExpiryEndsWithConnection() throws {
        let broker = TestBroker()
        let alice = try broker.connected("alice", .v5, cleanStart: false)
        try alice.subscribe("chat/room", qos: .atLeastOnce)
        try alice.disconnect()
        // MQTT 5 §3.1.2.11.2: absent means 0, the session ends when the network connection closes.
        #expect(broker.broker.session(clientID: "alice") == nil)

        let again = try broker.client(.v5)
        #expect(try !again.connect(clientID: "alice", cleanStart: false).sessionPresent)
    }

    @Test("An MQTT 5 session survives within its Session Expiry Interval")
    func sessionResumesWithinExpiry() throws {
        let broker = TestBroker()
        let (alice, _) = try connectPersistent(broker, "alice", .v5, expiry: 10)
        try alice.subscribe("chat/room", qos: .atLeastOnce)
        try alice.drop()

        broker.advance(by: .seconds(9))
        let bob = try broker.connected("bob")
        try bob.publish("chat/room", "kept", qos: .atLeastOnce)

        let (again, connack) = try connectPersistent(broker, "alice", .v5, expiry: 10)
        // [MQTT-3.1.2-23]: the state is kept while the interval runs.
        #expect(connack.sessionPresent)
        #expect(try again.nextPublish().payloadString == "kept")
    }

    @Test("An MQTT 5 session ends once its Session Expiry Interval has passed")
    func sessionExpires() throws {
        let broker = TestBroker()
        let (alice, _) = try connectPersistent(broker, "alice", .v5, expiry: 10)
        try alice.subscribe("chat/room", qos: .atLeastOnce)
        try alice.drop()

        broker.advance(by: .seconds(11))
        // MQTT 5 §3.1.2.11.2: the server discards the session when the interval has passed.
        #expect(broker.broker.session(clientID: "alice") == nil)
        let bob = try broker.connected("bob")
        try bob.publish("chat/room", "lost", qos: .atLeastOnce)

        let (again, connack) = try connectPersistent(broker, "alice", .v5, expiry: 10)
        // [MQTT-3.2.2-3]: no session, so Session Present 0.
        #expect(!connack.sessionPresent)
        #expect(try again.all().isEmpty)
        try bob.publish("chat/room", "after", qos: .atLeastOnce, packetID: 2)
        #expect(try again.all().isEmpty)
    }

    @Test("DISCONNECT may not raise the Session Expiry Interval from 0")
    func disconnectCannotRaiseExpiryFromZero() throws {
        let broker = TestBroker()
        let alice = try broker.connected("alice", .v5)
        try alice.disconnect(properties: [.sessionExpiryInterval(60)])
        // MQTT 5 §3.14.2.2.2: a Protocol Error, answered with DISCONNECT 0x82 (MQTT 5 §4.13).
        try alice.expectDisconnect(.protocolError)
        #expect(!alice.isActive)
        #expect(broker.broker.session(clientID: "alice") == nil)
    }

    @Test("DISCONNECT may shorten the Session Expiry Interval to 0")
    func disconnectCanEndSession() throws {
        let broker = TestBroker()
        let (alice, _) = try connectPersistent(broker, "alice", .v5, expiry: 300)
        try alice.subscribe("chat/room", qos: .atLeastOnce)
        try alice.disconnect(properties: [.sessionExpiryInterval(0)])
        // MQTT 5 §3.14.2.2.2: the interval given in DISCONNECT replaces the one from CONNECT.
        #expect(try alice.all().isEmpty)
        #expect(broker.broker.session(clientID: "alice") == nil)

        let (_, connack) = try connectPersistent(broker, "alice", .v5)
        #expect(!connack.sessionPresent)
    }

    // MARK: - Takeover

    @Test("A second connection with the same client ID takes over: MQTT 5 DISCONNECT 0x8E")
    func takeoverInMQTT5() throws {
        let broker = TestBroker()
        let first = try broker.connected("alice", .v5)
        let second = try broker.client(.v5)
        let connack = try second.connect(clientID: "alice", cleanStart: true)
        // [MQTT-3.1.4-3]: DISCONNECT 0x8E to the existing client, then close its connection.
        try first.expectDisconnect(.sessionTakenOver)
        #expect(!first.isActive)
        // [MQTT-3.2.2-2]: clean start, so Session Present 0.
        #expect(connack.reasonCode == .success)
        #expect(!connack.sessionPresent)
        #expect(second.isActive)
        #expect(broker.stats[.sessionsTakenOver] == 1)
    }

    @Test("A 3.1.1 takeover closes the existing connection")
    func takeoverIn311() throws {
        let broker = TestBroker()
        let first = try broker.connected("alice", .v3_1_1)
        let second = try broker.client(.v3_1_1)
        let connack = try second.connect(clientID: "alice")
        // [MQTT-3.1.4-2] (3.1.1): the server disconnects the existing client; 3.1.1 has no DISCONNECT
        // from the server.
        #expect(try first.all().isEmpty)
        #expect(!first.isActive)
        #expect(connack.reasonCode == .success)
        #expect(second.isActive)
    }

    @Test("A takeover with clean start 0 resumes the session", arguments: [ProtocolVersion.v3_1_1, .v5])
    func takeoverResumesSession(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let (first, _) = try connectPersistent(broker, "alice", version)
        try first.subscribe("chat/room", qos: .atLeastOnce)
        let (second, connack) = try connectPersistent(broker, "alice", version)
        // [MQTT-3.1.2-5] [MQTT-3.2.2-3]: Session Present 1.
        #expect(connack.sessionPresent)
        #expect(!first.isActive)
        _ = try first.all()

        let bob = try broker.connected("bob", version)
        try bob.publish("chat/room", "to the new connection", qos: .atLeastOnce)
        #expect(try second.nextPublish().payloadString == "to the new connection")
        #expect(try first.all().isEmpty)
    }

    @Test("A takeover with clean start 1 discards the persistent session")
    func takeoverWithCleanStartDiscards() throws {
        let broker = TestBroker()
        let (first, _) = try connectPersistent(broker, "alice", .v5)
        try first.subscribe("chat/room", qos: .atLeastOnce)
        let second = try broker.client(.v5)
        let connack = try second.connect(clientID: "alice", cleanStart: true)
        // [MQTT-3.1.2-4] [MQTT-3.2.2-2]
        #expect(!connack.sessionPresent)
        try first.expectDisconnect(.sessionTakenOver)

        let bob = try broker.connected("bob")
        try bob.publish("chat/room", "nobody", qos: .atLeastOnce)
        #expect(try second.all().isEmpty)
    }

    // MARK: - Resuming unacknowledged flows [MQTT-4.4.0-1]

    @Test(
        "Unacknowledged QoS 1 PUBLISH is sent again with DUP and the same packet identifier",
        arguments: [ProtocolVersion.v3_1_1, .v5])
    func qos1RedeliveredWithDup(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let (alice, _) = try connectPersistent(broker, "alice", version)
        try alice.subscribe("chat/room", qos: .atLeastOnce)
        let bob = try broker.connected("bob", version)
        try bob.publish("chat/room", "unacked", qos: .atLeastOnce)
        let original = try alice.nextPublish()
        #expect(!original.dup)
        try alice.drop()

        let (again, connack) = try connectPersistent(broker, "alice", version)
        #expect(connack.sessionPresent)
        let resent = try again.nextPublish()
        // [MQTT-4.4.0-1]: re-sent with the original packet identifier; [MQTT-3.3.1-1]: DUP set.
        #expect(resent.packetID == original.packetID)
        #expect(resent.dup)
        #expect(resent.qos == .atLeastOnce)
        #expect(resent.payloadString == "unacked")
        try again.acknowledge(resent)
        #expect(try again.all().isEmpty)
    }

    @Test("Unacknowledged PUBLISH packets are sent again in their original order")
    func redeliveryKeepsOrder() throws {
        let broker = TestBroker()
        let (alice, _) = try connectPersistent(broker, "alice", .v5)
        try alice.subscribe("chat/room", qos: .atLeastOnce)
        let bob = try broker.connected("bob")
        for (index, text) in ["a", "b", "c"].enumerated() {
            try bob.publish("chat/room", text, qos: .atLeastOnce, packetID: UInt16(index + 1))
        }
        let originals = try alice.publishes()
        #expect(originals.map(\.payloadString) == ["a", "b", "c"])
        try alice.drop()

        let (again, _) = try connectPersistent(broker, "alice", .v5)
        let resent = try again.publishes()
        // [MQTT-4.6.0-1]: re-sent in the order the originals were sent.
        #expect(resent.map(\.payloadString) == ["a", "b", "c"])
        #expect(resent.map(\.packetID) == originals.map(\.packetID))
        #expect(resent.allSatisfy { $0.dup })
    }

    @Test("A QoS 2 flow awaiting PUBCOMP resumes with PUBREL, not PUBLISH", arguments: [ProtocolVersion.v3_1_1, .v5])
    func qos2ResumesWithPubrel(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let (alice, _) = try connectPersistent(broker, "alice", version)
        try alice.subscribe("chat/room", qos: .exactlyOnce)
        let bob = try broker.connected("bob", version)
        try bob.publish("chat/room", "exactly once", qos: .exactlyOnce)
        let publish = try alice.nextPublish()
        let packetID = try #require(publish.packetID)
        try alice.pubrec(packetID)
        #expect(try alice.nextAck(.pubrel).packetID == packetID)
        try alice.drop()

        let (again, connack) = try connectPersistent(broker, "alice", version)
        #expect(connack.sessionPresent)
        // [MQTT-4.4.0-1]: PUBREL again with the original identifier; [MQTT-4.3.3-6]: never the
        // PUBLISH once PUBREL was sent.
        #expect(try again.nextAck(.pubrel).packetID == packetID)
        #expect(try again.all().isEmpty)
        try again.pubcomp(packetID)
        #expect(try again.all().isEmpty)
        #expect(broker.broker.session(clientID: "alice").map { s in s.inflightCount } == 0)
    }

    @Test("A QoS 2 flow awaiting PUBREC resumes with the PUBLISH and DUP")
    func qos2ResumesWithPublish() throws {
        let broker = TestBroker()
        let (alice, _) = try connectPersistent(broker, "alice", .v5)
        try alice.subscribe("chat/room", qos: .exactlyOnce)
        let bob = try broker.connected("bob")
        try bob.publish("chat/room", "exactly once", qos: .exactlyOnce)
        let original = try alice.nextPublish()
        try alice.drop()

        let (again, _) = try connectPersistent(broker, "alice", .v5)
        let resent = try again.nextPublish()
        // [MQTT-4.4.0-1] [MQTT-3.3.1-1]
        #expect(resent.packetID == original.packetID)
        #expect(resent.dup)
        #expect(resent.qos == .exactlyOnce)
    }

    @Test("Received QoS 2 identifiers survive a reconnect: a resent PUBLISH is not routed twice")
    func inboundQoS2StateSurvivesReconnect() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("chat/room", qos: .exactlyOnce)
        let (bob, _) = try connectPersistent(broker, "bob", .v5)
        try bob.publish("chat/room", "once", qos: .exactlyOnce, packetID: 7)
        #expect(try bob.nextAck(.pubrec).packetID == 7)
        try bob.drop()

        let (again, _) = try connectPersistent(broker, "bob", .v5)
        try again.publish(
            PublishPacket(
                topic: "chat/room", payload: ByteBuffer(string: "once"), qos: .exactlyOnce, dup: true, packetID: 7))
        // [MQTT-4.3.3-10]: acknowledged again, not delivered again.
        #expect(try again.nextAck(.pubrec).packetID == 7)
        try again.pubrel(7)
        #expect(try again.nextAck(.pubcomp).packetID == 7)

        let delivered = try subscriber.publishes()
        #expect(delivered.map(\.payloadString) == ["once"])
    }

    // MARK: - Limits

    @Test("A Session Expiry Interval above the broker's maximum is lowered and announced")
    func sessionExpiryIsCapped() throws {
        let broker = TestBroker { $0.maxSessionExpiry = 100 }
        let (alice, connack) = try connectPersistent(broker, "alice", .v5, expiry: 1000)
        // MQTT 5 §3.2.2.3.2: the server's Session Expiry Interval in CONNACK replaces the client's.
        #expect(connack.properties.sessionExpiryInterval == 100)
        try alice.drop()
        broker.advance(by: .seconds(101))
        #expect(broker.broker.session(clientID: "alice") == nil)
    }
}
