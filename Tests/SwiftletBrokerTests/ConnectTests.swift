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

/// CONNECT handling and the CONNACK answer (MQTT 5 §3.1, §3.2; MQTT 3.1.1 §3.1, §3.2).
@Suite("CONNECT and CONNACK")
struct ConnectTests {
    /// The 3.1/3.1.1 return code a decoded CONNACK carries (MQTT 3.1.1 §3.2.2.3).
    private func returnCode(_ connack: ConnAckPacket) -> UInt8 {
        ConnectReturnCode(reasonCode: connack.reasonCode).rawValue
    }

    // MARK: - Success

    @Test("MQTT 5 CONNACK accepts and announces the server's limits")
    func connackAnnouncesLimits() throws {
        let broker = TestBroker {
            $0.maxInflight = 10
            $0.maxPacketSize = 4096
            $0.topicAliasMaximum = 7
        }
        let client = try broker.client(.v5)
        let connack = try client.connect(clientID: "alice")
        #expect(connack.reasonCode == .success)
        // [MQTT-3.2.2-2]: clean start 1 means no session present.
        #expect(!connack.sessionPresent)
        // MQTT 5 §3.2.2.3.3 Receive Maximum: the server's inflight limit for QoS > 0 from the client.
        #expect(connack.properties.receiveMaximum == 10)
        // MQTT 5 §3.2.2.3.6 Maximum Packet Size: what the server accepts.
        #expect(connack.properties.maximumPacketSize == 4096)
        // MQTT 5 §3.2.2.3.8 Topic Alias Maximum: aliases the client may use towards the server.
        #expect(connack.properties.topicAliasMaximum == 7)
        #expect(client.isActive)
    }

    @Test("3.1 and 3.1.1 CONNACK accepts with return code 0", arguments: [ProtocolVersion.v3_1, .v3_1_1])
    func connackAcceptsOlderVersions(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let client = try broker.client(version)
        let connack = try client.connect(clientID: "alice")
        // MQTT 3.1.1 §3.2.2.3: 0x00 Connection Accepted.
        #expect(returnCode(connack) == 0)
        #expect(connack.properties.isEmpty)
        #expect(client.isActive)
    }

    // MARK: - Client identifiers

    @Test("MQTT 5 empty client ID gets an Assigned Client Identifier")
    func emptyClientIDIsAssignedInMQTT5() throws {
        let broker = TestBroker()
        let client = try broker.client(.v5)
        let connack = try client.connect(clientID: "")
        #expect(connack.reasonCode == .success)
        // [MQTT-3.1.3-6] the server assigns a unique ID; [MQTT-3.1.3-7] and returns it in CONNACK.
        let assigned = try #require(connack.properties.assignedClientIdentifier)
        #expect(!assigned.isEmpty)
        #expect(broker.broker.session(clientID: assigned) != nil)

        let other = try broker.client(.v5)
        let otherAssigned = try other.connect(clientID: "").properties.assignedClientIdentifier
        #expect(otherAssigned != nil && otherAssigned != assigned)
        #expect(client.isActive && other.isActive)
    }

    @Test("3.1.1 empty client ID with clean session 1 is accepted")
    func emptyClientIDWithCleanSessionIn311() throws {
        let broker = TestBroker()
        let client = try broker.client(.v3_1_1)
        let connack = try client.connect(clientID: "", cleanStart: true)
        // [MQTT-3.1.3-6] (3.1.1): the server assigns an ID and processes CONNECT as usual.
        #expect(returnCode(connack) == 0)
        #expect(client.isActive)
    }

    @Test("3.1.1 empty client ID with clean session 0 gets return code 2 and is closed")
    func emptyClientIDWithoutCleanSessionIn311() throws {
        let broker = TestBroker()
        let client = try broker.client(.v3_1_1)
        try client.send(.connect(ConnectPacket(version: .v3_1_1, cleanStart: false, keepAlive: 0, clientID: "")))
        // [MQTT-3.1.3-8] (3.1.1): CONNACK 0x02 Identifier rejected, then close.
        let packet = try client.next()
        #expect(packet == .connack(ConnAckPacket(sessionPresent: false, reasonCode: .clientIdentifierNotValid)))
        #expect(!client.isActive)
    }

    @Test("3.1 empty client ID gets return code 2 and is closed")
    func emptyClientIDIn31() throws {
        let broker = TestBroker()
        let client = try broker.client(.v3_1)
        try client.send(.connect(ConnectPacket(version: .v3_1, cleanStart: true, keepAlive: 0, clientID: "")))
        // MQTT 3.1 §3.1 (Client Identifier: 1 to 23 characters) and §3.2 return code 2.
        let packet = try client.next()
        #expect(packet == .connack(ConnAckPacket(sessionPresent: false, reasonCode: .clientIdentifierNotValid)))
        #expect(!client.isActive)
    }

    // MARK: - Refusals

    @Test("MQTT 5 CONNECT with an Authentication Method is refused with 0x8C")
    func authenticationMethodIsRefused() throws {
        let broker = TestBroker()
        let client = try broker.client(.v5)
        let connack = try client.connect(clientID: "alice", properties: [.authenticationMethod("SCRAM-SHA-1")])
        // [MQTT-4.12.0-1]: an unsupported method gets 0x8C (or 0x87) and the connection is closed.
        #expect(connack.reasonCode == .badAuthenticationMethod)
        // [MQTT-3.2.2-6]: Session Present is 0 with a failure code; [MQTT-3.2.2-7]: then close.
        #expect(!connack.sessionPresent)
        #expect(!client.isActive)
        #expect(broker.broker.session(clientID: "alice") == nil)
    }

    @Test("A first packet that is not CONNECT closes the connection", arguments: [ProtocolVersion.v3_1_1, .v5])
    func firstPacketMustBeConnect(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let client = try broker.client(version)
        try client.send(.pingreq)
        // [MQTT-3.1.0-1]: the server closes without answering.
        #expect(try client.all().isEmpty)
        #expect(!client.isActive)
    }

    @Test("A first PUBLISH is not routed", arguments: [ProtocolVersion.v3_1_1, .v5])
    func firstPublishIsNotRouted(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("t")
        let client = try broker.client(version)
        try client.publish("t", "sneaky")
        // [MQTT-3.1.0-1]
        #expect(!client.isActive)
        #expect(try subscriber.all().isEmpty)
    }

    @Test("A second CONNECT is a protocol error: MQTT 5 DISCONNECT 0x82")
    func secondConnectInMQTT5() throws {
        let broker = TestBroker()
        let client = try broker.connected("alice", .v5)
        try client.send(.connect(ConnectPacket(version: .v5, cleanStart: true, keepAlive: 0, clientID: "alice")))
        // [MQTT-3.1.0-2]: a second CONNECT is a Protocol Error; MQTT 5 §4.13 DISCONNECT first.
        try client.expectDisconnect(.protocolError)
        #expect(!client.isActive)
    }

    @Test("A second CONNECT closes a 3.1.1 connection")
    func secondConnectIn311() throws {
        let broker = TestBroker()
        let client = try broker.connected("alice", .v3_1_1)
        try client.send(.connect(ConnectPacket(version: .v3_1_1, cleanStart: true, keepAlive: 0, clientID: "alice")))
        // [MQTT-3.1.0-2] (3.1.1): the server treats it as a protocol violation and disconnects.
        #expect(try client.all().isEmpty)
        #expect(!client.isActive)
    }

    @Test("Without anonymous access, CONNECT without a user name is refused")
    func anonymousRefusedInMQTT5() throws {
        let broker = TestBroker { $0.allowAnonymous = false }
        let client = try broker.client(.v5)
        let connack = try client.connect(clientID: "alice")
        // MQTT 5 §3.2.2.2: 0x87 Not authorized; [MQTT-3.2.2-7] then close.
        #expect(connack.reasonCode == .notAuthorized)
        #expect(!client.isActive)
    }

    @Test("Without anonymous access, a 3.1.1 CONNECT without a user name gets return code 5")
    func anonymousRefusedIn311() throws {
        let broker = TestBroker { $0.allowAnonymous = false }
        let client = try broker.client(.v3_1_1)
        let connack = try client.connect(clientID: "alice")
        // MQTT 3.1.1 §3.2.2.3: 0x05 Not authorized; [MQTT-3.2.2-5] then close.
        #expect(returnCode(connack) == 5)
        #expect(!client.isActive)
    }

    @Test(
        "Without anonymous access, a plain user name is refused (no password file): 0x86 / return code 4",
        arguments: [ProtocolVersion.v3_1_1, .v5])
    func namedClientRefusedWithoutAnonymous(version: ProtocolVersion) throws {
        let broker = TestBroker { $0.allowAnonymous = false }
        let client = try broker.client(version)
        let connack = try client.connect(clientID: "alice", username: "alice", password: ByteBuffer(string: "pw"))
        #expect(connack.reasonCode == .badUserNameOrPassword)
        #expect(!client.isActive)
    }

    @Test("Connections beyond maxConnections are refused with 0x97")
    func maxConnectionsInMQTT5() throws {
        let broker = TestBroker { $0.maxConnections = 1 }
        let first = try broker.connected("first")
        let second = try broker.client(.v5)
        let connack = try second.connect(clientID: "second")
        // MQTT 5 §3.2.2.2: 0x97 Quota exceeded; [MQTT-3.2.2-7] then close.
        #expect(connack.reasonCode == .quotaExceeded)
        #expect(!second.isActive)
        #expect(first.isActive)
        #expect(broker.stats[.connectionsRejected] == 1)
    }

    @Test("3.1.1 connections beyond maxConnections get return code 3")
    func maxConnectionsIn311() throws {
        let broker = TestBroker { $0.maxConnections = 1 }
        let first = try broker.connected("first", .v3_1_1)
        let second = try broker.client(.v3_1_1)
        let connack = try second.connect(clientID: "second")
        // MQTT 3.1.1 §3.2.2.3: 0x03 Server unavailable is the closest return code.
        #expect(returnCode(connack) == 3)
        #expect(!second.isActive)
        #expect(first.isActive)
    }

    @Test("A closed connection frees its place under maxConnections")
    func maxConnectionsCountsOnlyOpenConnections() throws {
        let broker = TestBroker { $0.maxConnections = 1 }
        let first = try broker.connected("first")
        try first.disconnect()
        #expect(!first.isActive)
        let second = try broker.client(.v5)
        #expect(try second.connect(clientID: "second").reasonCode == .success)
    }

    // MARK: - Diagnostics

    @Test("Request Problem Information 0 keeps reason strings off acknowledgements")
    func requestProblemInformationZero() throws {
        let broker = TestBroker()
        let quiet = try broker.connected("quiet", properties: [.requestProblemInformation(0)])
        try quiet.publish("$SYS/x", "m", qos: .atLeastOnce, packetID: 1)
        let puback = try quiet.nextAck(.puback)
        #expect(puback.reasonCode == .notAuthorized)
        // [MQTT-3.1.2-29]: no Reason String on packets other than PUBLISH, CONNACK or DISCONNECT.
        #expect(puback.properties.reasonString == nil)

        let chatty = try broker.connected("chatty")
        try chatty.publish("$SYS/x", "m", qos: .atLeastOnce, packetID: 1)
        #expect(try chatty.nextAck(.puback).properties.reasonString != nil)
    }

    // MARK: - Pipelining

    @Test("Packets pipelined behind CONNECT are processed in order once the session is open")
    func pipelinedAfterConnect() throws {
        let broker = TestBroker()
        let client = try broker.client(.v5)
        try client.sendBytes(
            client.encode([
                .connect(ConnectPacket(version: .v5, cleanStart: true, keepAlive: 0, clientID: "alice")),
                .subscribe(
                    SubscribePacket(
                        packetID: 1, subscriptions: [SubscriptionRequest(topicFilter: "echo", qos: .atLeastOnce)])),
                .publish(
                    PublishPacket(topic: "echo", payload: ByteBuffer(string: "m"), qos: .atLeastOnce, packetID: 2)),
                .pingreq,
            ]))
        // [MQTT-3.1.0-1]: CONNECT first, the rest in order after CONNACK.
        let packets = try client.all()
        try #require(packets.count == 5)
        guard case .connack(let connack) = packets[0] else {
            Issue.record("expected CONNACK first, got \(packets[0])")
            return
        }
        #expect(connack.reasonCode == .success)
        #expect(packets[1] == .suback(SubAckPacket(packetID: 1, reasonCodes: [.grantedQoS1])))
        #expect(packets[2] == .puback(AckPacket(packetID: 2)))
        #expect(packets[3] == .pingresp)
        guard case .publish(let publish) = packets[4] else {
            Issue.record("expected the PUBLISH last, got \(packets[4])")
            return
        }
        #expect(publish.payloadString == "m")
    }

    @Test("Packets pipelined behind a CONNECT that takes a session over wait for the takeover")
    func pipelinedAfterTakeoverConnect() throws {
        let broker = TestBroker()
        let first = try broker.connected("alice", cleanStart: false, properties: [.sessionExpiryInterval(60)])
        try first.subscribe("chat/room", qos: .atLeastOnce)
        let bob = try broker.connected("bob")

        let second = try broker.client(.v5)
        try second.sendBytes(
            second.encode([
                .connect(
                    ConnectPacket(
                        version: .v5, cleanStart: false, keepAlive: 0, clientID: "alice",
                        properties: [.sessionExpiryInterval(60)])),
                .unsubscribe(UnsubscribePacket(packetID: 4, topicFilters: ["chat/room"])),
            ]))
        let packets = try second.all()
        try #require(packets.count == 2)
        guard case .connack(let connack) = packets[0] else {
            Issue.record("expected CONNACK first, got \(packets[0])")
            return
        }
        #expect(connack.reasonCode == .success)
        #expect(connack.sessionPresent)
        // The UNSUBSCRIBE acted on the session that was taken over.
        #expect(packets[1] == .unsuback(UnsubAckPacket(packetID: 4, reasonCodes: [.success])))
        try bob.publish("chat/room", "m")
        #expect(try second.all().isEmpty)
    }

    @Test("A client that goes away while its session is being taken over leaves the session intact")
    func closeWhileSessionOpens() throws {
        let broker = TestBroker()
        let properties: Properties = [.sessionExpiryInterval(60)]
        let first = try broker.connected("alice", cleanStart: false, properties: properties)
        try first.subscribe("chat/room", qos: .atLeastOnce)

        let second = try broker.client(.v5)
        try second.sendBytesWithoutRunning(
            second.encode([
                .connect(
                    ConnectPacket(
                        version: .v5, cleanStart: false, keepAlive: 0, clientID: "alice", properties: properties))
            ]))
        try second.drop()
        #expect(!first.isActive)

        let bob = try broker.connected("bob")
        try bob.publish("chat/room", "kept", qos: .atLeastOnce)
        let third = try broker.client(.v5)
        let connack = try third.connect(clientID: "alice", cleanStart: false, properties: properties)
        // [MQTT-3.1.2-23]: the session outlives the connection that never completed.
        #expect(connack.sessionPresent)
        #expect(try third.publishes().map(\.payloadString) == ["kept"])
    }

    @Test("A reason string that would exceed the client's Maximum Packet Size is left out")
    func reasonStringRespectsMaximumPacketSize() throws {
        let broker = TestBroker()
        let client = try broker.connected("small", properties: [.maximumPacketSize(16)])
        try client.publish("$SYS/x", "m", qos: .atLeastOnce, packetID: 1)
        // [MQTT-3.4.2-2]: no Reason String if it would make the PUBACK too large; the PUBACK still goes.
        let puback = try client.nextAck(.puback)
        #expect(puback.reasonCode == .notAuthorized)
        #expect(puback.properties.reasonString == nil)
    }

    @Test("An unknown protocol level gets return code 1 and is closed")
    func unsupportedProtocolLevel() throws {
        let broker = TestBroker()
        let client = try broker.client(.v3_1_1)
        // CONNECT, remaining length 13: "MQTT", level 6, clean start, keep-alive 0, client ID "a".
        try client.sendBytes(
            ByteBuffer(bytes: [
                0x10, 13, 0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x06, 0x02, 0x00, 0x00, 0x00, 0x01, 0x61,
            ]))
        // [MQTT-3.1.2-2]: CONNACK 0x01 Unacceptable protocol level (in 3.1.1 form), then close.
        let packet = try client.next()
        #expect(packet == .connack(ConnAckPacket(sessionPresent: false, reasonCode: .unsupportedProtocolVersion)))
        #expect(!client.isActive)
    }
}
