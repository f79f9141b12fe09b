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
import SwiftletMQTT
import Testing

@testable import SwiftletBroker

/// Rooms under policies: batch windows, rate ceilings, per-client publish rates, and slow
/// consumers (DESIGN §4.5, §4.6, §4.7).
@Suite("Rooms and slow consumers")
struct RoomTests {
    private func liveRoom(_ policy: RoomPolicy) -> TestBroker {
        TestBroker { $0.rooms = [policy] }
    }

    /// The raw buffers the broker wrote to a client since the last read.
    private func writes(_ client: TestClient) throws -> [ByteBuffer] {
        var buffers: [ByteBuffer] = []
        while let buffer = try client.channel.readOutbound(as: ByteBuffer.self) { buffers.append(buffer) }
        return buffers
    }

    private func decode(_ buffers: [ByteBuffer], _ version: ProtocolVersion) throws -> [PublishPacket] {
        var decoder = MQTTPacketDecoder(maximumPacketSize: 1 << 20, version: version)
        var result: [PublishPacket] = []
        for var buffer in buffers {
            while let packet = try decoder.decodePacket(buffer: &buffer) {
                guard case .publish(let publish) = packet else { throw TestError.unexpectedPacket }
                result.append(publish)
            }
        }
        return result
    }

    @Test("A batch window goes out as one buffer per subscriber, shared, in publish order")
    func batchWindow() throws {
        let broker = liveRoom(RoomPolicy(filter: "live/#", batchInterval: .milliseconds(30)))
        let viewers = try (0..<3).map { index in
            let viewer = try broker.connected("viewer\(index)", .v3_1_1)
            try viewer.subscribe("live/room1")
            return viewer
        }
        let modern = try broker.connected("modern", .v5)
        try modern.subscribe("live/#")
        let publisher = try broker.connected("pub")

        for index in 0..<5 { try publisher.publish("live/room1", "comment \(index)") }
        // Nothing leaves before the window closes.
        for viewer in viewers { #expect(try writes(viewer).isEmpty) }

        broker.advance(by: .milliseconds(30))
        var storage: [UnsafeRawPointer?] = []
        for viewer in viewers {
            let buffers = try writes(viewer)
            #expect(buffers.count == 1, "one write per subscriber per window")
            #expect(try decode(buffers, .v3_1_1).map(\.payloadString) == (0..<5).map { "comment \($0)" })
            storage.append(buffers.first?.withUnsafeReadableBytes { UnsafeRawPointer($0.baseAddress) })
        }
        // Encoded once: every 3.1.1 subscriber on the loop got the very same bytes.
        #expect(Set(storage).count == 1)
        let modernWrites = try writes(modern)
        #expect(modernWrites.count == 1)
        #expect(try decode(modernWrites, .v5).map(\.payloadString) == (0..<5).map { "comment \($0)" })
        #expect(broker.broker.rooms.snapshot.first?.batches == 1)
        #expect(broker.stats[.messagesSent] == 20)
    }

    @Test("Windows keep order across windows and publishers keep their own order")
    func orderAcrossWindows() throws {
        let broker = liveRoom(RoomPolicy(filter: "live/+", batchInterval: .milliseconds(20)))
        let viewer = try broker.connected("viewer")
        try viewer.subscribe("live/a")
        let first = try broker.connected("p1")
        let second = try broker.connected("p2")
        var expected: [String] = []
        for window in 0..<4 {
            for index in 0..<3 {
                try first.publish("live/a", "p1-\(window)-\(index)")
                try second.publish("live/a", "p2-\(window)-\(index)")
                expected += ["p1-\(window)-\(index)", "p2-\(window)-\(index)"]
            }
            broker.advance(by: .milliseconds(20))
        }
        #expect(try viewer.publishes().map(\.payloadString) == expected)
        #expect(broker.broker.rooms.snapshot.first?.batches == 4)
    }

    @Test("QoS 1 subscribers of a batched room get each message with its own packet identifier")
    func batchedQoS1() throws {
        let broker = liveRoom(RoomPolicy(filter: "chat/#", batchInterval: .milliseconds(10)))
        let member = try broker.connected("member")
        try member.subscribe("chat/r", qos: .atLeastOnce)
        let publisher = try broker.connected("pub")
        try publisher.publish("chat/r", "a", qos: .atLeastOnce, packetID: 1)
        #expect(try publisher.nextAck(.puback).reasonCode == .success)
        try publisher.publish("chat/r", "b", qos: .atLeastOnce, packetID: 2)
        _ = try publisher.nextAck(.puback)
        try publisher.publish("chat/r", "c")
        broker.advance(by: .milliseconds(10))
        let received = try member.publishes()
        #expect(received.map(\.payloadString) == ["a", "b", "c"])
        #expect(received.map(\.qos) == [.atLeastOnce, .atLeastOnce, .atMostOnce])
        #expect(Set(received.compactMap(\.packetID)).count == 2)
    }

    @Test("No Local holds in a batched room: a commenter does not see its own comments")
    func noLocalInBatch() throws {
        let broker = liveRoom(RoomPolicy(filter: "live/#", batchInterval: .milliseconds(30)))
        let commenter = try broker.connected("commenter")
        try commenter.subscribe("live/r", noLocal: true)
        let other = try broker.connected("other")
        try other.subscribe("live/r")
        try commenter.publish("live/r", "mine")
        try other.publish("live/r", "theirs")
        broker.advance(by: .milliseconds(30))
        #expect(try commenter.publishes().map(\.payloadString) == ["theirs"])
        #expect(try other.publishes().map(\.payloadString) == ["mine", "theirs"])
    }

    @Test("A rate ceiling with drop_oldest keeps the newest messages of each window")
    func ceilingDropOldest() throws {
        let broker = liveRoom(
            RoomPolicy(filter: "live/#", batchInterval: .milliseconds(100), rateLimit: 30, overflow: .dropOldest))
        let viewer = try broker.connected("viewer")
        try viewer.subscribe("live/r")
        let publisher = try broker.connected("pub")
        for index in 0..<10 { try publisher.publish("live/r", "\(index)") }
        try publisher.publish("live/r", "acked", qos: .atLeastOnce)
        _ = try publisher.nextAck(.puback)
        broker.advance(by: .milliseconds(100))
        // 30/s over 100 ms: 3 QoS 0 messages per window; the acknowledged one always passes.
        #expect(try viewer.publishes().map(\.payloadString) == ["7", "8", "9", "acked"])
        #expect(broker.stats[.messagesDroppedRateCeiling] == 7)
        let room = try #require(broker.broker.rooms.snapshot.first)
        #expect(room.droppedByCeiling == 7)
        #expect(room.messagesIn == 11)
    }

    @Test("A rate ceiling without a batch window drops the newest at once")
    func ceilingWithoutWindow() throws {
        let broker = liveRoom(RoomPolicy(filter: "live/#", rateLimit: 5))
        let viewer = try broker.connected("viewer")
        try viewer.subscribe("live/r")
        let publisher = try broker.connected("pub")
        for index in 0..<8 { try publisher.publish("live/r", "\(index)") }
        #expect(try viewer.publishes().map(\.payloadString) == ["0", "1", "2", "3", "4"])
        #expect(broker.stats[.messagesDroppedRateCeiling] == 3)
        broker.advance(by: .milliseconds(200))
        try publisher.publish("live/r", "later")
        #expect(try viewer.publishes().map(\.payloadString) == ["later"])
    }

    @Test("The per-client publish rate drops QoS 0 and refuses MQTT 5 QoS 1 with 0x97")
    func clientRateLimitV5() throws {
        let broker = liveRoom(RoomPolicy(filter: "live/#", clientRateLimit: 2))
        let viewer = try broker.connected("viewer")
        try viewer.subscribe("live/r")
        let spammer = try broker.connected("spammer")
        for index in 0..<4 { try spammer.publish("live/r", "\(index)") }
        try spammer.publish("live/r", "acked?", qos: .atLeastOnce, packetID: 9)
        let ack = try spammer.nextAck(.puback)
        #expect(ack.reasonCode == .quotaExceeded)
        #expect(try viewer.publishes().map(\.payloadString) == ["0", "1"])
        #expect(broker.stats[.messagesDroppedClientRate] == 3)
        // Another client has its own budget.
        let polite = try broker.connected("polite")
        try polite.publish("live/r", "hello")
        #expect(try viewer.publishes().map(\.payloadString) == ["hello"])
        broker.advance(by: .seconds(1))
        try spammer.publish("live/r", "again")
        #expect(try viewer.publishes().map(\.payloadString) == ["again"])
    }

    @Test("An MQTT 3.1.1 QoS 1 publisher over its rate is disconnected, never acknowledged and dropped")
    func clientRateLimitV311() throws {
        let broker = liveRoom(RoomPolicy(filter: "live/#", clientRateLimit: 1))
        let viewer = try broker.connected("viewer")
        try viewer.subscribe("live/r", qos: .atLeastOnce)
        let publisher = try broker.connected("old", .v3_1_1)
        try publisher.publish("live/r", "first", qos: .atLeastOnce, packetID: 1)
        _ = try publisher.nextAck(.puback)
        try publisher.publish("live/r", "second", qos: .atLeastOnce, packetID: 2)
        #expect(try publisher.next() == nil)
        #expect(!publisher.isActive)
        #expect(try viewer.publishes().map(\.payloadString) == ["first"])
    }

    @Test("A stalled subscriber loses a whole window, counted for it and for the room; others get it")
    func stalledSubscriberInBatch() throws {
        let broker = liveRoom(RoomPolicy(filter: "live/#", batchInterval: .milliseconds(30)))
        let stalled = try broker.connected("stalled")
        try stalled.subscribe("live/r")
        let fast = try broker.connected("fast")
        try fast.subscribe("live/r")
        let publisher = try broker.connected("pub")
        stalled.setWritable(false)
        for index in 0..<4 { try publisher.publish("live/r", "\(index)") }
        broker.advance(by: .milliseconds(30))
        #expect(try fast.publishes().count == 4)
        #expect(try stalled.all().isEmpty)
        let session = try #require(broker.broker.session(clientID: "stalled"))
        #expect(session.droppedCount == 4)
        #expect(broker.broker.rooms.snapshot.first?.droppedSlowConsumer == 4)
        #expect(broker.stats[.messagesDroppedNotWritable] == 4)
    }

    @Test("slow-consumer-policy disconnect closes a client whose session queue overflows (0x97)")
    func slowConsumerDisconnect() throws {
        let broker = TestBroker {
            $0.maxQueuedMessages = 2
            $0.slowConsumerPolicy = .disconnect
        }
        let slow = try broker.connected("slow", cleanStart: false, properties: [.sessionExpiryInterval(60)])
        try slow.subscribe("chat/r", qos: .atLeastOnce)
        let publisher = try broker.connected("pub")
        slow.setWritable(false)
        for index in 0..<3 {
            try publisher.publish("chat/r", "\(index)", qos: .atLeastOnce, packetID: UInt16(index + 1))
            _ = try publisher.nextAck(.puback)
        }
        try slow.expectDisconnect(.quotaExceeded)
        #expect(!slow.isActive)
        #expect(broker.stats[.slowConsumersDisconnected] == 1)
        // The persistent session keeps what it had queued for the next connection.
        let back = try broker.client()
        let connack = try back.connect(clientID: "slow", cleanStart: false, properties: [.sessionExpiryInterval(60)])
        #expect(connack.sessionPresent)
        #expect(try back.publishes().map(\.payloadString) == ["0", "1"])
    }

    @Test("slow-consumer-policy drop keeps the client connected and counts the drops")
    func slowConsumerDrop() throws {
        let broker = TestBroker { $0.maxQueuedMessages = 2 }
        let slow = try broker.connected("slow")
        try slow.subscribe("chat/r", qos: .atLeastOnce)
        let publisher = try broker.connected("pub")
        slow.setWritable(false)
        for index in 0..<5 {
            try publisher.publish("chat/r", "\(index)", qos: .atLeastOnce, packetID: UInt16(index + 1))
            _ = try publisher.nextAck(.puback)
        }
        #expect(slow.isActive)
        #expect(broker.broker.session(clientID: "slow")?.droppedCount == 3)
        slow.setWritable(true)
        #expect(try slow.publishes().map(\.payloadString) == ["0", "1"])
    }
}
