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

/// The broker queries and actions behind the admin API (Broker+Admin.swift), on embedded
/// connections: what they report matches what the clients did.
@Suite("Admin queries and actions")
struct AdminQueryTests {
    /// Resolves a future on the embedded loop.
    private func wait<Value: Sendable>(_ broker: TestBroker, _ future: EventLoopFuture<Value>) throws -> Value {
        broker.run()
        return try future.wait()
    }

    @Test("a session snapshot shows the connection, subscriptions and queues")
    func snapshot() throws {
        let broker = TestBroker()
        let alice = try broker.connected("GID_a@@@alice", .v5, keepAlive: 30)
        try alice.subscribe("chat/+", qos: .atLeastOnce)
        try alice.subscribe("$share/g/jobs", qos: .atMostOnce, packetID: 2)
        let snapshot = try #require(try wait(broker, broker.broker.sessionSnapshot(clientID: "GID_a@@@alice", on: broker.loop)))
        #expect(snapshot.isOnline)
        let connection = try #require(snapshot.connection)
        #expect(connection.clientID == "GID_a@@@alice")
        #expect(connection.transport == "test")
        #expect(connection.protocolVersion == .v5)
        #expect(connection.keepAlive == 30)
        #expect(connection.ip == "127.0.0.1")
        #expect(Set(snapshot.subscriptions.keys) == ["chat/+", "$share/g/jobs"])
        #expect(snapshot.subscriptions["chat/+"]?.qos == .atLeastOnce)
        #expect(snapshot.queued == 0 && snapshot.inflight == 0 && snapshot.dropped == 0)
        #expect(try wait(broker, broker.broker.sessionSnapshot(clientID: "nobody", on: broker.loop)) == nil)
    }

    @Test("an offline persistent session is listed without a connection, with its queue")
    func offline() throws {
        let broker = TestBroker()
        let bob = try broker.connected("bob", .v5, cleanStart: false, properties: [.sessionExpiryInterval(600)])
        try bob.subscribe("news", qos: .atLeastOnce)
        try bob.disconnect()
        broker.run()
        let publisher = try broker.connected("carol")
        try publisher.publish("news", "while away", qos: .atLeastOnce, packetID: 1)
        broker.run()
        let all = try wait(broker, broker.broker.sessionSnapshots(on: broker.loop))
        #expect(Set(all.map(\.clientID)) == ["bob", "carol"])
        let away = try #require(all.first { $0.clientID == "bob" })
        #expect(!away.isOnline)
        #expect(away.queued == 1)
        let overview = try wait(broker, broker.broker.overview(on: broker.loop))
        #expect(overview.sessions == 2 && overview.offlineSessions == 1)
        #expect(overview.connectionsByTransport == ["test": 1])
    }

    @Test("kick: MQTT 5 gets DISCONNECT 0x98 then the close; 3.1.1 is closed; nobody is 404")
    func kick() throws {
        let broker = TestBroker()
        let modern = try broker.connected("modern", .v5)
        let old = try broker.connected("old", .v3_1_1)
        #expect(try wait(broker, broker.broker.kick(clientID: "modern", on: broker.loop)))
        try modern.expectDisconnect(.administrativeAction)
        #expect(!modern.isActive)
        #expect(try wait(broker, broker.broker.kick(clientID: "old", on: broker.loop)))
        broker.run()
        #expect(try old.all().isEmpty)
        #expect(!old.isActive)
        #expect(try !wait(broker, broker.broker.kick(clientID: "old", on: broker.loop)))
        #expect(try !wait(broker, broker.broker.kick(clientID: "nobody", on: broker.loop)))
    }

    @Test("publishAsAdmin routes like a client publish, with user properties and retain")
    func publish() throws {
        let broker = TestBroker()
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("feed/#", qos: .atLeastOnce)
        // Status events are routed too: count from here.
        let received = broker.stats[.messagesReceived]
        let deliveries = broker.broker.publishAsAdmin(
            topic: "feed/1", payload: ByteBuffer(string: "hello"), qos: .atLeastOnce, retain: true,
            properties: [.userProperty("k", "v")], on: broker.loop)
        #expect(deliveries == 1)
        broker.run()
        let publish = try subscriber.nextPublish()
        #expect(publish.topic == "feed/1")
        #expect(publish.payloadString == "hello")
        #expect(publish.properties.userProperties.map { "\($0.0)=\($0.1)" } == ["k=v"])
        #expect(broker.broker.retained.count == 1)
        #expect(broker.stats[.messagesReceived] == received + 1)
        let p2p = broker.broker.publishAsAdmin(
            topic: "feed/p2p/sub", payload: ByteBuffer(string: "just you"), qos: .atMostOnce, retain: false,
            properties: [], on: broker.loop)
        #expect(p2p == 1)
        broker.run()
        #expect(try subscriber.nextPublish().payloadString == "just you")
    }

    @Test("rooms: exact topics with their subscriber counts, policy rooms with counters")
    func rooms() throws {
        let broker = TestBroker { $0.rooms = [RoomPolicy(filter: "live/#", rateLimit: 1000)] }
        let first = try broker.connected("v1")
        let second = try broker.connected("v2")
        try first.subscribe("live/1")
        try second.subscribe("live/1")
        try first.subscribe("$share/g/chat/a", packetID: 2)
        try second.subscribe("$share/g/chat/a", packetID: 2)
        try first.subscribe("wild/+", packetID: 3)
        for _ in 0..<3 {
            broker.broker.publishAsAdmin(
                topic: "live/1", payload: ByteBuffer(string: "x"), qos: .atMostOnce, retain: false, properties: [],
                on: broker.loop)
        }
        broker.run()
        let rooms = broker.broker.roomSummaries
        #expect(rooms.map(\.topic) == ["chat/a", "live/1"])
        let live = try #require(rooms.last)
        #expect(live.subscribers == 2)
        #expect(live.policyFilter == "live/#")
        #expect(live.counters?.messagesIn == 3)
        #expect(live.counters?.delivered == 6)
        let chat = try #require(rooms.first)
        #expect(chat.subscribers == 2)
        #expect(chat.policyFilter == nil && chat.counters == nil)
    }
}
