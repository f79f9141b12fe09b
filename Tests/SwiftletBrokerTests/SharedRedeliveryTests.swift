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
import SwiftletMQTT
import Testing
@testable import SwiftletBroker

/// MQTT 5 §4.8.2: messages a shared-subscription member got and never acknowledged go to another member when its
/// session ends; and the `share-strategy: hash-topic` groups.
@Suite("Shared subscriptions: redelivery and ordered mode")
struct SharedRedeliveryTests {
    static let group = "$share/workers/jobs/#"

    /// Publishes `topics` at QoS 1 from `publisher`, one message each, payload = its position.
    func publishAll(_ publisher: TestClient, _ topics: [String]) throws {
        for (position, topic) in topics.enumerated() {
            try publisher.publish(topic, "m\(position)", qos: .atLeastOnce, packetID: UInt16(position + 1))
            #expect(try publisher.nextAck(.puback).reasonCode == .success)
        }
    }

    @Test("An ended member's unacknowledged messages, in flight and queued, go to another member in order, DUP 0")
    func redeliveredOnSessionEnd() throws {
        let broker = TestBroker()
        // A receive maximum of 2 keeps part of a's share queued rather than in flight.
        let a = try broker.connected("a", properties: [.receiveMaximum(2)])
        let b = try broker.connected("b")
        let publisher = try broker.connected("p")
        try a.subscribe(Self.group, qos: .atLeastOnce)
        try b.subscribe(Self.group, qos: .atLeastOnce)

        try publishAll(publisher, (0..<8).map { "jobs/\($0)" })
        let toA = try a.publishes()
        let toB = try b.publishes()
        // Round-robin: four each; a holds two in flight and two queued.
        #expect(toA.count == 2)
        #expect(toB.count == 4)
        #expect(Set(toB.map(\.payloadString)).isDisjoint(with: toA.map(\.payloadString)))

        // b acknowledges what it got; a dies without acknowledging anything.
        for publish in toB { try b.send(.puback(AckPacket(packetID: try #require(publish.packetID)))) }
        try a.drop()

        let redelivered = try b.publishes()
        let expected = Set((0..<8).map { "m\($0)" }).subtracting(toB.map(\.payloadString))
        #expect(Set(redelivered.map(\.payloadString)) == expected)
        // In their original order: the order they were published in.
        #expect(redelivered.map(\.payloadString) == redelivered.map(\.payloadString).sorted())
        #expect(redelivered.allSatisfy { !$0.dup && $0.qos == .atLeastOnce })
        #expect(broker.stats[.sharedMessagesRedelivered] == 4)
        #expect(broker.stats[.sharedMessagesDroppedNoMember] == 0)
    }

    @Test("With no member left the messages are dropped and counted")
    func droppedWithoutMembers() throws {
        let broker = TestBroker()
        let a = try broker.connected("a")
        let publisher = try broker.connected("p")
        try a.subscribe(Self.group, qos: .atLeastOnce)
        try publishAll(publisher, ["jobs/1", "jobs/2"])
        #expect(try a.publishes().count == 2)
        try a.drop()
        #expect(broker.stats[.sharedMessagesDroppedNoMember] == 2)
        #expect(broker.stats[.sharedMessagesRedelivered] == 0)
    }

    @Test("A persistent session keeps its messages: no redelivery to others, DUP resend on reconnect")
    func persistentSessionKeepsThem() throws {
        let broker = TestBroker()
        let a = try broker.connected("a", cleanStart: false, properties: [.sessionExpiryInterval(60)])
        let b = try broker.connected("b")
        let publisher = try broker.connected("p")
        try a.subscribe(Self.group, qos: .atLeastOnce)
        try b.subscribe(Self.group, qos: .atLeastOnce)
        try publishAll(publisher, ["jobs/1", "jobs/2"])
        let toA = try a.publishes()
        #expect(toA.count == 1)
        _ = try b.publishes()
        try a.drop()
        #expect(try b.publishes().isEmpty)
        #expect(broker.stats[.sharedMessagesRedelivered] == 0)

        let again = try broker.connected("a", cleanStart: false, properties: [.sessionExpiryInterval(60)])
        let resent = try again.publishes()
        #expect(resent.map(\.payloadString) == toA.map(\.payloadString))
        #expect(resent.allSatisfy { $0.dup })
    }

    @Test("Acknowledged messages are not redelivered; QoS 2 past PUBREC stays with its receiver")
    func acknowledgedStay() throws {
        let broker = TestBroker()
        let a = try broker.connected("a")
        let b = try broker.connected("b")
        let publisher = try broker.connected("p")
        try a.subscribe(Self.group, qos: .exactlyOnce)
        try b.subscribe(Self.group, qos: .exactlyOnce)
        try publisher.publish("jobs/1", "q1", qos: .atLeastOnce, packetID: 1)
        _ = try publisher.nextAck(.puback)
        try publisher.publish("jobs/2", "q2", qos: .atLeastOnce, packetID: 2)
        _ = try publisher.nextAck(.puback)
        try publisher.publish("jobs/3", "q3", qos: .exactlyOnce, packetID: 3)
        _ = try publisher.nextAck(.pubrec)
        try publisher.send(.pubrel(AckPacket(packetID: 3)))
        _ = try publisher.nextAck(.pubcomp)
        try publisher.publish("jobs/4", "q4", qos: .exactlyOnce, packetID: 4)
        _ = try publisher.nextAck(.pubrec)
        try publisher.send(.pubrel(AckPacket(packetID: 4)))
        _ = try publisher.nextAck(.pubcomp)

        let toA = try a.publishes()
        #expect(toA.map(\.payloadString) == ["q1", "q3"])
        _ = try b.publishes()
        // a acknowledges the QoS 1 message and the first half of the QoS 2 flow.
        try a.send(.puback(AckPacket(packetID: try #require(toA[0].packetID))))
        try a.send(.pubrec(AckPacket(packetID: try #require(toA[1].packetID))))
        #expect(try a.nextAck(.pubrel).packetID == toA[1].packetID)
        try a.drop()
        #expect(try b.publishes().isEmpty)
        #expect(broker.stats[.sharedMessagesRedelivered] == 0)
    }

    @Test("share-strategy hash-topic sends every message of a topic to the same member, in order")
    func hashTopic() throws {
        let broker = TestBroker()
        let strategy: Properties = [.userProperty(ShareStrategy.userPropertyName, "hash-topic")]
        let members = try (0..<3).map { try broker.connected("m\($0)") }
        for member in members {
            #expect(try member.subscribe(Self.group, qos: .atLeastOnce, properties: strategy).reasonCodes == [.grantedQoS1])
        }
        let publisher = try broker.connected("p")
        let topics = (0..<30).map { "jobs/device\($0 % 10)" }
        try publishAll(publisher, topics)

        var owner: [String: Int] = [:]
        var total = 0
        for (position, member) in members.enumerated() {
            let received = try member.publishes()
            total += received.count
            for topic in Set(received.map(\.topic)) {
                #expect(owner[topic] == nil, "topic \(topic) went to two members")
                owner[topic] = position
                // In publish order within the topic.
                let payloads = received.filter { $0.topic == topic }.map { Int($0.payloadString.dropFirst())! }
                #expect(payloads == payloads.sorted())
                #expect(payloads.count == 3)
            }
        }
        #expect(total == 30)
        // Ten topics over three members: not all on one (FNV-1a spreads these names).
        #expect(Set(owner.values).count > 1)
    }

    @Test("hash-topic: when a topic's member dies, the next one gets its unacknowledged messages first, in order")
    func hashTopicOwnerDies() throws {
        let broker = TestBroker()
        let strategy: Properties = [.userProperty(ShareStrategy.userPropertyName, "hash-topic")]
        let members = try (0..<2).map { try broker.connected("m\($0)") }
        for member in members {
            try member.subscribe(Self.group, qos: .atLeastOnce, properties: strategy)
        }
        let publisher = try broker.connected("p")
        try publishAll(publisher, ["jobs/x", "jobs/x", "jobs/x"])
        let got = try members.map { try $0.publishes() }
        let owner = try #require(got.firstIndex { !$0.isEmpty })
        #expect(got[owner].map(\.payloadString) == ["m0", "m1", "m2"])
        let other = members[1 - owner]
        #expect(got[1 - owner].isEmpty)

        try members[owner].drop()
        for n in 3..<5 {
            try publisher.publish("jobs/x", "m\(n)", qos: .atLeastOnce, packetID: UInt16(n + 1))
            _ = try publisher.nextAck(.puback)
        }
        #expect(try other.publishes().map(\.payloadString) == ["m0", "m1", "m2", "m3", "m4"])
    }

    @Test("An unknown share-strategy is refused with 0x83; round-robin is the default")
    func unknownStrategy() throws {
        let broker = TestBroker()
        let client = try broker.connected("a")
        let suback = try client.subscribe(
            Self.group, qos: .atLeastOnce, properties: [.userProperty(ShareStrategy.userPropertyName, "random")])
        #expect(suback.reasonCodes == [.implementationSpecificError])
        // On a non-shared filter the property means nothing.
        let plain = try client.subscribe(
            "jobs/#", qos: .atLeastOnce, packetID: 2,
            properties: [.userProperty(ShareStrategy.userPropertyName, "random")])
        #expect(plain.reasonCodes == [.grantedQoS1])
    }

    @Test("Index: hash-topic picks among available members and moves topics only when membership changes")
    func indexHashTopic() {
        var index = SubscriptionIndex<Int>()
        let hashed = SubscriptionOptions(qos: .atLeastOnce, shareStrategy: .hashTopic)
        for member in 1...3 { index.subscribe(member, filter: "$share/g/t/#", options: hashed) }
        let first = (0..<20).map { index.match(topic: "t/\($0)", publisher: nil)[0].subscriber }
        let second = (0..<20).map { index.match(topic: "t/\($0)", publisher: nil)[0].subscriber }
        #expect(first == second)
        // An offline member's topics go to the others while it is away.
        index.setAvailable(2, false)
        let without = (0..<20).map { index.match(topic: "t/\($0)", publisher: nil)[0].subscriber }
        #expect(!without.contains(2))
        index.setAvailable(2, true)
        #expect((0..<20).map { index.match(topic: "t/\($0)", publisher: nil)[0].subscriber } == first)
        // Redelivery picks by the same rule.
        #expect(index.takeSharedTurn(filter: "$share/g/t/#", topic: "t/7")?.subscriber == first[7])
        #expect(index.takeSharedTurn(filter: "$share/g/t/#", topic: "t/7")?.sharedSubscription == "$share/g/t/#")
        #expect(index.takeSharedTurn(filter: "t/#", topic: "t/7") == nil)
    }
}
