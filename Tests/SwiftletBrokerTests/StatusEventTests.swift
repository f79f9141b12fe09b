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
import Foundation
import NIOCore
import SwiftletAuth
import SwiftletMQTT
import Testing

@testable import SwiftletBroker

/// Connect and disconnect events on `$SYS/clients/…` (DESIGN §7, docs/status-events.md).
@Suite("Status events")
struct StatusEventTests {
    func broker(_ configure: @escaping (inout BrokerConfiguration) -> Void = { _ in }) -> TestBroker {
        TestBroker {
            $0.accessKeys = [AccessKey(id: "CLOUD", secret: "cloud-secret", role: .cloud)]
            configure(&$0)
        }
    }

    /// A backend subscribed to every status event.
    func backend(_ broker: TestBroker) throws -> TestClient {
        let client = try broker.client(.v5)
        let password = Signature.password(secretKey: "cloud-secret", clientID: "backend")
        let connack = try client.connect(
            clientID: "backend", username: "Signature|CLOUD|x", password: ByteBuffer(string: password))
        try #require(connack.reasonCode == .success)
        try #require(try client.subscribe("$SYS/clients/+/+", qos: .atLeastOnce).reasonCodes == [.grantedQoS1])
        return client
    }

    /// The status events the backend received; other packets (a DISCONNECT at shutdown) are skipped.
    func events(_ backend: TestClient) throws -> [(topic: String, fields: [String: Any])] {
        try backend.all().compactMap { packet -> PublishPacket? in
            if case .publish(let publish) = packet { return publish }
            return nil
        }.map { publish in
            let object = try JSONSerialization.jsonObject(with: Data(publish.payload.readableBytesView))
            return (publish.topic, try #require(object as? [String: Any]))
        }
    }

    @Test("A connect event carries who, from where, over what, and a channel ID")
    func connectEvent() throws {
        let broker = broker()
        let backend = try backend(broker)
        _ = try broker.connected("GID_chat@@@phone-1", .v3_1_1, keepAlive: 30)
        let received = try events(backend)
        #expect(received.count == 1)
        let (topic, event) = try #require(received.first)
        #expect(topic == "$SYS/clients/GID_chat@@@phone-1/connected")
        #expect(event["eventType"] as? String == "connect")
        #expect(event["clientId"] as? String == "GID_chat@@@phone-1")
        #expect(event["groupId"] as? String == "GID_chat")
        #expect(event["transport"] as? String == "test")
        #expect(event["protocolVersion"] as? String == "3.1.1")
        #expect(event["keepalive"] as? Int == 30)
        #expect(event["cleanStart"] as? Bool == true)
        #expect(event["ip"] as? String == "127.0.0.1")
        #expect(event["port"] as? Int == 1000)
        #expect((event["time"] as? Int ?? 0) > 1_700_000_000_000)
        #expect(event["channelId"] is String)
        #expect(event["reason"] == nil)
    }

    @Test("DISCONNECT gives a disconnect event; a lost connection a tcpclean event")
    func disconnectKinds() throws {
        let broker = broker()
        let backend = try backend(broker)
        let polite = try broker.connected("polite")
        try polite.send(.disconnect(DisconnectPacket(reasonCode: .normalDisconnection)))
        let rude = try broker.connected("rude")
        try rude.drop()
        let received = try events(backend).filter { $0.topic.hasSuffix("/disconnected") }
        #expect(received.map(\.topic) == ["$SYS/clients/polite/disconnected", "$SYS/clients/rude/disconnected"])
        #expect(received.map { $0.fields["eventType"] as? String } == ["disconnect", "tcpclean"])
        #expect(received.map { $0.fields["reason"] as? String } == ["clean", "connection lost"])
        #expect(received.first?.fields["reasonCode"] as? Int == 0)
    }

    @Test("Broker-side closes name their reason: keep-alive timeout, takeover, and the rest by code")
    func serverReasons() throws {
        let broker = broker()
        let backend = try backend(broker)
        _ = try broker.connected("sleepy", keepAlive: 1)
        broker.advance(by: .seconds(2))
        let first = try broker.connected("twin")
        let second = try broker.connected("twin", cleanStart: false)
        _ = (first, second)
        let before = try events(backend).filter { $0.topic.hasSuffix("/disconnected") }
        #expect(before.map { $0.fields["reason"] as? String } == ["keepalive timeout", "takeover"])
        #expect(before.map { $0.fields["reasonCode"] as? Int } == [0x8D, 0x8E])

        #expect(try events(backend).isEmpty)
        // At shutdown every connection, the backends' too, is closed with 0x8B, so no backend sees
        // those events on the wire; here the mapping from DISCONNECT codes is checked.
        #expect(StatusEvent.Reason(serverDisconnect: .serverShuttingDown) == .serverShutdown)
        #expect(StatusEvent.Reason(serverDisconnect: .administrativeAction) == .kicked)
        #expect(StatusEvent.Reason(serverDisconnect: .notAuthorized) == .authExpired)
        #expect(StatusEvent.Reason(serverDisconnect: .quotaExceeded) == .slowConsumer)
        #expect(StatusEvent.Reason(serverDisconnect: .malformedPacket) == .protocolError)
    }

    @Test("Channel IDs grow with each connection; a takeover's events order by them")
    func channelIDs() throws {
        let broker = broker()
        let backend = try backend(broker)
        _ = try broker.connected("same")
        _ = try broker.connected("same", cleanStart: false)
        let connects = try events(backend).filter { $0.topic == "$SYS/clients/same/connected" }
        let ids = connects.compactMap { ($0.fields["channelId"] as? String)?.split(separator: "-").last.flatMap { Int($0) } }
        #expect(ids.count == 2)
        #expect(ids[0] < ids[1])
    }

    @Test("Client IDs with / + # are made safe in the topic, exact in the payload; no one else gets events")
    func topicSafety() throws {
        let broker = broker()
        let backend = try backend(broker)
        let device = try broker.connected("watcher")
        #expect(try device.subscribe("#").reasonCodes == [.grantedQoS0])
        #expect(try device.subscribe("$SYS/#").reasonCodes == [.notAuthorized])
        _ = try broker.connected("a/b+c#d")
        let received = try events(backend).filter { $0.topic.hasSuffix("/connected") }
        #expect(received.last?.topic == "$SYS/clients/a_b_c_d/connected")
        #expect(received.last?.fields["clientId"] as? String == "a/b+c#d")
        // `#` does not match $SYS topics [MQTT-4.7.2-1].
        #expect(try device.all().isEmpty)
    }

    @Test("status-events false publishes none")
    func turnedOff() throws {
        let broker = broker { $0.statusEvents = false }
        let backend = try backend(broker)
        _ = try broker.connected("quiet")
        #expect(try events(backend).isEmpty)
    }

    @Test("JSON strings are escaped")
    func escaping() {
        #expect(StatusEvent.quoted("a\"b\\c\nd\u{01}é") == "\"a\\\"b\\\\c\\nd\\u0001é\"")
    }
}
