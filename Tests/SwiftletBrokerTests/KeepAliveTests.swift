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

/// Keep-alive, PINGREQ/PINGRESP and the CONNECT timeout, on the loop's virtual clock
/// (MQTT 5 §3.1.2.10, §3.12; MQTT 3.1.1 §3.1.2.10; DESIGN §9).
@Suite("Keep-alive and connect timeout")
struct KeepAliveTests {
    @Test("PINGREQ is answered with PINGRESP", arguments: [ProtocolVersion.v3_1, .v3_1_1, .v5])
    func pingResponse(version: ProtocolVersion) throws {
        let broker = TestBroker()
        let client = try broker.connected("alice", version, keepAlive: 30)
        try client.send(.pingreq)
        // [MQTT-3.12.4-1]
        #expect(try client.next() == .pingresp)
    }

    @Test("No packet for 1.5 × keep-alive: MQTT 5 DISCONNECT 0x8D")
    func keepAliveTimeoutInMQTT5() throws {
        let broker = TestBroker()
        let client = try broker.connected("alice", .v5, keepAlive: 10)
        broker.advance(by: .milliseconds(14_999))
        #expect(client.isActive)
        #expect(try client.all().isEmpty)
        broker.advance(by: .milliseconds(1))
        // [MQTT-3.1.2-22]: closed after one and a half times the keep-alive; MQTT 5 §4.13 says why.
        try client.expectDisconnect(.keepAliveTimeout)
        #expect(!client.isActive)
        #expect(broker.stats[.keepAliveTimeouts] == 1)
    }

    @Test("No packet for 1.5 × keep-alive closes a 3.1.1 connection")
    func keepAliveTimeoutIn311() throws {
        let broker = TestBroker()
        let client = try broker.connected("alice", .v3_1_1, keepAlive: 4)
        broker.advance(by: .milliseconds(5_999))
        #expect(client.isActive)
        broker.advance(by: .milliseconds(1))
        // [MQTT-3.1.2-24] (3.1.1)
        #expect(try client.all().isEmpty)
        #expect(!client.isActive)
    }

    @Test("PINGREQ within the interval keeps the connection open")
    func pingKeepsConnectionOpen() throws {
        let broker = TestBroker()
        let client = try broker.connected("alice", .v5, keepAlive: 10)
        for _ in 0..<5 {
            broker.advance(by: .seconds(10))
            try client.send(.pingreq)
            #expect(try client.next() == .pingresp)
        }
        #expect(client.isActive)
        // 50 s have passed; the last packet was 0 s ago, so the deadline is 15 s from now.
        broker.advance(by: .seconds(14))
        #expect(client.isActive)
        broker.advance(by: .seconds(1))
        #expect(!client.isActive)
    }

    @Test("Any packet counts as activity, not just PINGREQ")
    func anyPacketKeepsConnectionOpen() throws {
        let broker = TestBroker()
        let client = try broker.connected("alice", .v5, keepAlive: 2)
        for index in 0..<10 {
            broker.advance(by: .seconds(2))
            try client.publish("t", "\(index)")
        }
        #expect(client.isActive)
    }

    @Test("Keep-alive 0 turns the mechanism off")
    func keepAliveZero() throws {
        let broker = TestBroker()
        let client = try broker.connected("alice", .v5, keepAlive: 0)
        broker.advance(by: .seconds(24 * 3600))
        // MQTT 5 §3.1.2.10: a Keep Alive of 0 turns the mechanism off.
        #expect(client.isActive)
    }

    @Test("Server Keep Alive overrides the client's keep-alive")
    func serverKeepAlive() throws {
        let broker = TestBroker { $0.maxKeepAlive = 20 }
        let client = try broker.client(.v5)
        let connack = try client.connect(clientID: "alice", keepAlive: 0)
        // [MQTT-3.2.2-21]: the client must use the Server Keep Alive the server sends.
        #expect(connack.properties.serverKeepAlive == 20)
        broker.advance(by: .seconds(29))
        #expect(client.isActive)
        broker.advance(by: .seconds(1))
        try client.expectDisconnect(.keepAliveTimeout)
    }

    // MARK: - Connect timeout

    @Test("A socket that sends no CONNECT within connectTimeout is closed")
    func connectTimeout() throws {
        let broker = TestBroker { $0.connectTimeout = .seconds(5) }
        let silent = try broker.client(.v5)
        broker.advance(by: .milliseconds(4_999))
        #expect(silent.isActive)
        broker.advance(by: .milliseconds(1))
        // DESIGN §9: CONNECT timeout for silent sockets.
        #expect(!silent.isActive)
        #expect(try silent.all().isEmpty)
        #expect(broker.stats[.connectTimeouts] == 1)
        #expect(broker.stats[.connectionsCurrent] == 0)
    }

    @Test("CONNECT in time cancels the connect timeout")
    func connectInTime() throws {
        let broker = TestBroker { $0.connectTimeout = .seconds(5) }
        let client = try broker.client(.v5)
        broker.advance(by: .seconds(4))
        try client.connect(clientID: "alice")
        broker.advance(by: .seconds(60))
        #expect(client.isActive)
        #expect(broker.stats[.connectTimeouts] == 0)
    }
}
