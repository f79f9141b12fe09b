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

/// What one client may make the broker hold (issue 11, DESIGN §4.6, §9): replies it provokes and
/// does not read, what it queues in bytes, the broker-wide queue budget, persistent sessions.
@Suite("Memory bounds")
struct MemoryBoundsTests {
    private func pings(_ count: Int, _ client: TestClient) -> ByteBuffer {
        client.encode(Array(repeating: .pingreq, count: count))
    }

    private func pingResponses(_ packets: [MQTTPacket]) -> Int {
        packets.filter { $0 == .pingresp }.count
    }

    // MARK: - Read pausing

    @Test("A client whose output is backed up gets nothing decoded until it drained")
    func backedUpOutputStopsDecoding() throws {
        let broker = TestBroker()
        let client = try broker.connected("flooder")
        client.setWritable(false)
        try client.sendBytes(pings(500, client))
        #expect(pingResponses(try client.all()) == 0)
        client.setWritable(true)
        #expect(pingResponses(try client.all()) == 500)
    }

    @Test("One read of many packets is decoded in turns, each behind the loop's other work")
    func packetsDecodedInTurns() throws {
        let broker = TestBroker { $0.maxPacketsPerTurn = 16 }
        let client = try broker.connected("flooder")
        try client.sendBytesWithoutRunning(pings(100, client))
        #expect(pingResponses(try client.all()) == 16)
        // The next turn waits for the loop to poll its sockets (1 ms), not merely behind its tasks.
        broker.run()
        #expect(pingResponses(try client.all()) == 0)
        for _ in 0..<6 { broker.advance(by: .milliseconds(1)) }
        #expect(pingResponses(try client.all()) == 84)
    }

    @Test("The replies of one turn leave as one buffer, not one write per packet")
    func repliesGathered() throws {
        let broker = TestBroker { $0.maxPacketsPerTurn = 64 }
        let client = try broker.connected("flooder")
        _ = try client.all()
        try client.sendBytesWithoutRunning(pings(64, client))
        var writes = 0
        var bytes = 0
        while let buffer = try client.channel.readOutbound(as: ByteBuffer.self) {
            writes += 1
            bytes += buffer.readableBytes
        }
        #expect(writes == 1)
        #expect(bytes == 128)
    }

    @Test("Replies and deliveries keep their order")
    func repliesBeforeLaterDeliveries() throws {
        let broker = TestBroker()
        let client = try broker.connected("c")
        try client.subscribe("t", qos: .atLeastOnce)
        // PINGREQ, then a PUBLISH that comes back to the client: PINGRESP, PUBACK, PUBLISH.
        try client.sendBytes(
            client.encode([
                .pingreq,
                .publish(PublishPacket(topic: "t", payload: ByteBuffer(string: "m"), qos: .atLeastOnce, packetID: 7)),
            ]))
        let packets = try client.all()
        #expect(packets.count == 3)
        #expect(packets.first == .pingresp)
        guard packets.count == 3, case .puback(let ack) = packets[1], case .publish(let publish) = packets[2] else {
            Issue.record("unexpected order: \(packets)")
            return
        }
        #expect(ack.packetID == 7)
        #expect(publish.payloadString == "m")
    }

    @Test("Output backed up for the write-stall timeout: DISCONNECT 0x97 and close, counted")
    func writeStallCloses() throws {
        let broker = TestBroker { $0.writeStallTimeout = .seconds(5) }
        let client = try broker.connected("stalled")
        client.setWritable(false)
        broker.advance(by: .seconds(4))
        #expect(client.isActive)
        broker.advance(by: .seconds(1))
        #expect(!client.isActive)
        try client.expectDisconnect(.quotaExceeded)
        #expect(broker.stats[.writeStallDisconnects] == 1)
    }

    @Test("Output that drains in time keeps the connection")
    func drainedInTime() throws {
        let broker = TestBroker { $0.writeStallTimeout = .seconds(5) }
        let client = try broker.connected("slow")
        client.setWritable(false)
        broker.advance(by: .seconds(4))
        client.setWritable(true)
        broker.advance(by: .seconds(10))
        #expect(client.isActive)
        try client.send(.pingreq)
        #expect(try client.next() == .pingresp)
    }

    // MARK: - Bytes per session

    @Test("A session holds at most max-queued-bytes of messages; more are dropped and counted")
    func queuedBytesPerSession() throws {
        let broker = TestBroker {
            $0.maxQueuedBytes = 10_000
            $0.maxInflight = 1
        }
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("t", qos: .atLeastOnce)
        subscriber.setWritable(false)
        let publisher = try broker.connected("pub")
        for id in UInt16(1)...20 {
            try publisher.publish("t", String(repeating: "x", count: 1000), qos: .atLeastOnce, packetID: id)
        }
        // Every publish is acknowledged: the publisher is not the one that is slow.
        #expect(try publisher.all().count == 20)
        let cost = 1000 + 1 + RoutedMessage.entryOverhead
        let held = 10_000 / cost
        #expect(broker.stats[.messagesDroppedQueueBytes] == 20 - held)
        #expect(broker.broker.session(clientID: "sub")?.queuedCount == held)
        subscriber.setWritable(true)
        // One in flight (Receive Maximum 1 via max-inflight); the rest follow as it is acknowledged.
        var received = 0
        while case .publish(let publish) = try subscriber.next() {
            received += 1
            try subscriber.acknowledge(publish)
        }
        #expect(received == held)
    }

    @Test("Messages in flight count against max-queued-bytes too")
    func inflightBytesPerSession() throws {
        let broker = TestBroker { $0.maxQueuedBytes = 10_000 }
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("t", qos: .atLeastOnce)
        let publisher = try broker.connected("pub")
        for id in UInt16(1)...20 {
            try publisher.publish("t", String(repeating: "x", count: 1000), qos: .atLeastOnce, packetID: id)
        }
        // The window (32) has room for all of them, the bytes do not: nothing is acknowledged.
        let held = 10_000 / (1000 + 1 + RoutedMessage.entryOverhead)
        #expect(try subscriber.publishes().count == held)
        #expect(broker.broker.session(clientID: "sub")?.inflightCount == held)
        #expect(broker.broker.session(clientID: "sub")?.queuedCount == 0)
        #expect(broker.stats[.messagesDroppedQueueBytes] == 20 - held)
    }

    @Test("A message larger than max-queued-bytes still reaches a session holding nothing")
    func oversizeMessageToEmptySession() throws {
        let broker = TestBroker { $0.maxQueuedBytes = 1024 }
        let subscriber = try broker.connected("sub")
        try subscriber.subscribe("t", qos: .atLeastOnce)
        let publisher = try broker.connected("pub")
        try publisher.publish("t", String(repeating: "x", count: 4000), qos: .atLeastOnce, packetID: 1)
        #expect(try subscriber.nextPublish().payload.readableBytes == 4000)
    }

    // MARK: - The broker-wide budget

    @Test("A full budget evicts the oldest messages of the largest queues first")
    func budgetEvictsLargestFirst() throws {
        let cost = 1000 + 1 + RoutedMessage.entryOverhead
        let broker = TestBroker {
            $0.maxQueuedBytesTotal = 16 * cost
            $0.eventLoopCount = 1
        }
        // Two offline persistent sessions: "big" subscribed to a busy topic, "small" to a quiet one.
        for (id, filter) in [("big", "busy"), ("small", "quiet")] {
            let client = try broker.connected(id, cleanStart: true, properties: [.sessionExpiryInterval(600)])
            try client.subscribe(filter, qos: .atLeastOnce)
            try client.drop()
        }
        let publisher = try broker.connected("pub")
        for id in UInt16(1)...4 {
            try publisher.publish("quiet", String(repeating: "x", count: 1000), qos: .atLeastOnce, packetID: id)
        }
        for id in UInt16(5)...30 {
            try publisher.publish("busy", TestClient.numbered(Int(id)), qos: .atLeastOnce, packetID: id)
        }
        #expect(try publisher.all().count == 30)
        #expect(broker.stats[.messagesDroppedQueueBudget] > 0)
        #expect(broker.stats[.queuedBytes] <= 16 * cost)
        // The quiet session kept all of its messages; the busy one lost its oldest.
        #expect(broker.broker.session(clientID: "small")?.queuedCount == 4)
        let big = try broker.connected("big", cleanStart: false, properties: [.sessionExpiryInterval(600)])
        var payloads: [Int] = []
        while case .publish(let publish) = try big.next() {
            payloads.append(TestClient.number(publish.payload))
            try big.acknowledge(publish)
        }
        #expect(!payloads.isEmpty)
        #expect(payloads.last == 30)
        #expect(payloads == Array(payloads.first!...30))
        #expect(payloads.first! > 5)
    }

    @Test("Queued bytes follow a session that moves, and are released when it ends")
    func queuedBytesFollowTheSession() throws {
        let broker = TestBroker()
        let expiry: Properties = [.sessionExpiryInterval(600)]
        let offline = try broker.connected("s", properties: expiry)
        try offline.subscribe("t", qos: .atLeastOnce)
        try offline.drop()
        let publisher = try broker.connected("pub")
        for id in UInt16(1)...3 {
            try publisher.publish("t", "m\(id)", qos: .atLeastOnce, packetID: id)
        }
        let held = broker.stats[.queuedBytes]
        #expect(held == 3 * (2 + 1 + RoutedMessage.entryOverhead))
        #expect(broker.stats[.persistentSessions] == 1)
        // Resumed: the queue moves to the new handle, then drains into the window.
        let resumed = try broker.connected("s", cleanStart: false, properties: expiry)
        #expect(try resumed.publishes().count == 3)
        #expect(broker.stats[.queuedBytes] == 0)
        try resumed.drop()
        try publisher.publish("t", "m4", qos: .atLeastOnce, packetID: 4)
        #expect(broker.stats[.queuedBytes] > 0)
        // A clean start discards the session and its queue.
        _ = try broker.connected("s", cleanStart: true)
        #expect(broker.stats[.queuedBytes] == 0)
        #expect(broker.stats[.persistentSessions] == 0)
    }

    @Test("The eviction level trims the largest queues down together")
    func evictionLevel() {
        // Freeing 30 from [100, 50, 10]: the largest alone down to 70.
        #expect(QueueBudget.evictionLevel(sizes: [50, 100, 10], excess: 30) == 70)
        // Freeing 60: 100 → 45 would pass 50, so both go to 45.
        #expect(QueueBudget.evictionLevel(sizes: [50, 100, 10], excess: 60) == 45)
        // Freeing everything.
        #expect(QueueBudget.evictionLevel(sizes: [50, 100, 10], excess: 160) == 0)
        #expect(QueueBudget.evictionLevel(sizes: [50, 100, 10], excess: 0) == Int.max)
    }

    // MARK: - Persistent sessions

    @Test("Past max-sessions a new persistent session is refused: 0x97, 3.1.1 return code 3")
    func maxSessions() throws {
        let broker = TestBroker { $0.maxSessions = 2 }
        for id in ["a", "b"] {
            _ = try broker.connected(id, properties: [.sessionExpiryInterval(600)])
        }
        #expect(broker.stats[.persistentSessions] == 2)
        let third = try broker.client(.v5)
        #expect(try third.connect(clientID: "c", properties: [.sessionExpiryInterval(600)]).reasonCode == .quotaExceeded)
        let legacy = try broker.client(.v3_1_1)
        let refused = try legacy.connect(clientID: "d", cleanStart: false)
        // Return code 3, which the decoder reads as 0x88 (server unavailable).
        #expect(refused.reasonCode == .serverUnavailable)
        #expect(broker.stats[.sessionsRejected] == 2)
        // Clean sessions and resuming a persistent one are still let in.
        _ = try broker.connected("e")
        _ = try broker.connected("a", cleanStart: false, properties: [.sessionExpiryInterval(600)])
    }

    @Test("An ended persistent session makes room for another")
    func sessionEndFreesRoom() throws {
        let broker = TestBroker { $0.maxSessions = 1 }
        let first = try broker.connected("a", properties: [.sessionExpiryInterval(600)])
        // A DISCONNECT setting the expiry to 0 ends the session with the connection.
        try first.disconnect(properties: [.sessionExpiryInterval(0)])
        #expect(broker.stats[.persistentSessions] == 0)
        _ = try broker.connected("b", properties: [.sessionExpiryInterval(600)])
    }
}

extension TestClient {
    /// A payload holding `value` as text, padded to 1,000 bytes.
    static func numbered(_ value: Int) -> String {
        let text = String(value) + ";"
        return text + String(repeating: "x", count: 1000 - text.utf8.count)
    }

    static func number(_ payload: ByteBuffer) -> Int {
        Int(String(buffer: payload).prefix { $0 != ";" }) ?? -1
    }
}
