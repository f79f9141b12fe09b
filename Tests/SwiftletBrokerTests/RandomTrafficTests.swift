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
import SwiftletBroker
import SwiftletMQTT
import Testing

/// Well-formed but arbitrary packet sequences from several clients at once: whatever they send,
/// the broker must not crash, and a well-behaved client must still be served afterwards
/// (DESIGN §9: bad input never costs another client anything).
@Suite("Random traffic")
struct RandomTrafficTests {
    @Test("Random packet sequences never crash the broker or starve a well-behaved client", arguments: 0..<32)
    func randomSequences(seed: UInt64) throws {
        var random = SeededRandom(seed: 0xB40C + seed)
        let broker = TestBroker {
            $0.maxInflight = 4
            $0.maxQueuedMessages = 20
            $0.topicAliasMaximum = 4
            $0.maxSubscriptionsPerClient = 8
        }
        let versions: [ProtocolVersion] = [.v3_1, .v3_1_1, .v5]
        var clients: [TestClient] = []
        for index in 0..<4 {
            let version = versions[Int(random.next() % 3)]
            let client = try broker.client(version)
            let expiry: Properties = version == .v5 ? [.sessionExpiryInterval(UInt32(random.next() % 3) * 30)] : []
            try client.connect(
                clientID: "c\(index % 3)", cleanStart: random.next() % 2 == 0, properties: expiry)
            clients.append(client)
        }
        for _ in 0..<400 {
            let client = clients[Int(random.next() % UInt64(clients.count))]
            guard client.isActive else { continue }
            try client.send(Self.randomPacket(version: client.version, random: &random))
            _ = try client.all()
            if random.next() % 50 == 0 { broker.advance(by: .seconds(Int64(random.next() % 40))) }
        }

        let watcher = try broker.connected("watcher-\(seed)")
        try watcher.subscribe("final/check", qos: .atLeastOnce)
        let publisher = try broker.connected("publisher-\(seed)")
        try publisher.publish("final/check", "still here", qos: .atLeastOnce, packetID: 1)
        #expect(try watcher.nextPublish().payloadString == "still here")
    }

    private static let topics = ["a", "a/b", "a/b/c", "$SYS/x", "$app/y", "chat/p2p/c1", "chat/p2p/c2", "room/1"]
    private static let filters = [
        "#", "a/+", "a/#", "+/+", "$SYS/#", "chat/p2p/c1", "chat/p2p/+", "$share/g/a/#", "$share/g/#",
        "$share//a", "a/#/b", "room/1", "+",
    ]

    private static func randomPacket(version: ProtocolVersion, random: inout SeededRandom) -> MQTTPacket {
        let packetID = UInt16(random.next() % 6) + 1
        switch random.next() % 9 {
        case 0, 1, 2:
            let qos = QoS(rawValue: UInt8(random.next() % 3))!
            var properties = Properties()
            var topic = topics[Int(random.next() % UInt64(topics.count))]
            if version == .v5 {
                switch random.next() % 5 {
                case 0: properties.append(.topicAlias(UInt16(random.next() % 6) + 1))
                case 1:
                    properties.append(.topicAlias(UInt16(random.next() % 4) + 1))
                    topic = ""
                case 2: properties.append(.messageExpiryInterval(UInt32(random.next() % 3)))
                case 3: properties.append(.userProperty("k", "v"))
                default: break
                }
            }
            return .publish(
                PublishPacket(
                    topic: topic, payload: ByteBuffer(string: random.next() % 4 == 0 ? "" : "p"), qos: qos,
                    retain: random.next() % 3 == 0, dup: qos != .atMostOnce && random.next() % 4 == 0,
                    packetID: qos == .atMostOnce ? nil : packetID, properties: properties))
        case 3:
            let count = Int(random.next() % 3) + 1
            let requests = (0..<count).map { _ in
                SubscriptionRequest(
                    topicFilter: filters[Int(random.next() % UInt64(filters.count))],
                    qos: QoS(rawValue: UInt8(random.next() % 3))!,
                    noLocal: version == .v5 && random.next() % 4 == 0,
                    retainAsPublished: version == .v5 && random.next() % 2 == 0,
                    retainHandling: version == .v5 ? RetainHandling(rawValue: UInt8(random.next() % 3))! : .sendOnSubscribe)
            }
            let properties: Properties = version == .v5 && random.next() % 2 == 0 ? [.subscriptionIdentifier(7)] : []
            return .subscribe(SubscribePacket(packetID: packetID, subscriptions: requests, properties: properties))
        case 4:
            return .unsubscribe(
                UnsubscribePacket(packetID: packetID, topicFilters: [filters[Int(random.next() % UInt64(filters.count))]]))
        case 5: return .puback(AckPacket(packetID: packetID))
        case 6: return random.next() % 2 == 0 ? .pubrec(AckPacket(packetID: packetID)) : .pubcomp(AckPacket(packetID: packetID))
        case 7: return .pubrel(AckPacket(packetID: packetID))
        default:
            return random.next() % 10 == 0
                ? .disconnect(DisconnectPacket(reasonCode: random.next() % 2 == 0 ? .normalDisconnection : .disconnectWithWillMessage))
                : .pingreq
        }
    }
}

/// SplitMix64: a small seeded generator, so a failing sequence can be replayed.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
