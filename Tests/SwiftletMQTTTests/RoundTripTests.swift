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

@Suite("Round trips")
struct RoundTripTests {
    /// Every fixture's packet in every version, as `(fixture, version)` pairs.
    static let cases: [(PacketFixture, ProtocolVersion)] = PacketFixture.all.filter { $0.direction == .both }
        .flatMap { fixture in ProtocolVersion.allVersions.map { (fixture, $0) } }

    @Test("decode(encode(packet)) is the packet as the version can carry it", arguments: Self.cases)
    func roundTrip(_ fixture: PacketFixture, _ version: ProtocolVersion) throws {
        guard let expected = fixture.packet.carried(by: version) else { return }
        var packet = fixture.packet
        if case .connect(var connect) = packet {
            connect.version = version  // CONNECT is written in its own version.
            packet = .connect(connect)
        }

        var buffer = ByteBuffer()
        buffer.writeString("kept")  // encode appends; it never touches what is already there.
        MQTTPacketEncoder.encode(packet, version: version, into: &buffer)
        #expect(buffer.readString(length: 4) == "kept")
        #expect(buffer.readableBytes == MQTTPacketEncoder.encodedSize(packet, version: version))

        var decoder =
            if case .connect = packet { MQTTPacketDecoder() } else { MQTTPacketDecoder(version: version) }
        let decoded = try decoder.decodePacket(buffer: &buffer)
        #expect(decoded == expected)
        #expect(buffer.readableBytes == 0)
    }
}

extension MQTTPacket {
    /// What is left of this packet after a trip through `version`'s wire format, or `nil` when
    /// `version` cannot carry it at all.
    func carried(by version: ProtocolVersion) -> MQTTPacket? {
        guard version < .v5 else {
            switch self {
            case .connect(var connect):
                connect.version = version
                return .connect(connect)
            case .unsuback(let unsuback) where unsuback.reasonCodes.isEmpty:
                return nil  // MQTT 5 needs a reason code per filter [MQTT-3.11.3-1]
            default:
                return self
            }
        }
        switch self {
        case .connect(var connect):
            connect.version = version
            connect.properties = []
            connect.will?.properties = []
            // 3.x has no password without a user name, and restricts empty client identifiers.
            if connect.password != nil, connect.username == nil { return nil }
            if connect.clientID.isEmpty, version == .v3_1 || !connect.cleanStart { return nil }
            return .connect(connect)
        case .connack(var connack):
            connack.properties = []
            connack.reasonCode = ConnectReturnCode(reasonCode: connack.reasonCode).reasonCode
            connack.sessionPresent = version == .v3_1_1 && connack.sessionPresent && connack.reasonCode == .success
            return .connack(connack)
        case .publish(var publish):
            if publish.topic.isEmpty { return nil }  // a topic alias cannot stand in before 5.0
            publish.properties = []
            return .publish(publish)
        case .puback(let ack): return .puback(AckPacket(packetID: ack.packetID))
        case .pubrec(let ack): return .pubrec(AckPacket(packetID: ack.packetID))
        case .pubrel(let ack): return .pubrel(AckPacket(packetID: ack.packetID))
        case .pubcomp(let ack): return .pubcomp(AckPacket(packetID: ack.packetID))
        case .subscribe(let subscribe):
            return .subscribe(
                SubscribePacket(
                    packetID: subscribe.packetID,
                    subscriptions: subscribe.subscriptions.map {
                        SubscriptionRequest(topicFilter: $0.topicFilter, qos: $0.qos)
                    }
                )
            )
        case .suback(let suback):
            return .suback(
                SubAckPacket(
                    packetID: suback.packetID,
                    reasonCodes: suback.reasonCodes.map { $0.isFailure ? .unspecifiedError : $0 }
                )
            )
        case .unsubscribe(var unsubscribe):
            unsubscribe.properties = []
            return .unsubscribe(unsubscribe)
        case .unsuback(let unsuback):
            return .unsuback(UnsubAckPacket(packetID: unsuback.packetID))
        case .pingreq, .pingresp:
            return self
        case .disconnect:
            return .disconnect(DisconnectPacket())
        case .auth:
            return nil
        }
    }
}
