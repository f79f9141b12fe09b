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

@Suite("Encoder")
struct EncoderTests {
    static let publish = PublishPacket(
        topic: "live/room/7",
        payload: ByteBuffer(bytes: Array(repeating: 0x2A, count: 300)),
        qos: .atLeastOnce,
        retain: true,
        packetID: 42,
        properties: [.subscriptionIdentifier(9), .userProperty("k", "v")]
    )

    @Test("encodePublish writes what encode writes", arguments: ProtocolVersion.allVersions)
    func publishFastPath(_ version: ProtocolVersion) {
        let p = Self.publish
        var viaPacket = ByteBuffer()
        MQTTPacketEncoder.encode(.publish(p), version: version, into: &viaPacket)
        var viaParts = ByteBuffer()
        MQTTPacketEncoder.encodePublish(
            topic: p.topic,
            payload: p.payload,
            qos: p.qos,
            retain: p.retain,
            dup: p.dup,
            packetID: p.packetID,
            properties: p.properties,
            version: version,
            into: &viaParts
        )
        #expect(viaParts == viaPacket)
    }

    @Test(
        "a PUBLISH header followed by the shared payload is the whole PUBLISH",
        arguments: ProtocolVersion.allVersions
    )
    func publishHeader(_ version: ProtocolVersion) {
        let p = Self.publish
        var whole = ByteBuffer()
        MQTTPacketEncoder.encode(.publish(p), version: version, into: &whole)
        var header = ByteBuffer()
        MQTTPacketEncoder.encodePublishHeader(
            topic: p.topic,
            payloadLength: p.payload.readableBytes,
            qos: p.qos,
            retain: p.retain,
            dup: p.dup,
            packetID: p.packetID,
            properties: p.properties,
            version: version,
            into: &header
        )
        #expect(header.readableBytes == whole.readableBytes - p.payload.readableBytes)
        var payload = p.payload
        header.writeBuffer(&payload)
        #expect(header == whole)
    }

    @Test("DUP is never written on QoS 0 [MQTT-3.3.1-2]")
    func noDupOnQoS0() throws {
        var buffer = ByteBuffer()
        MQTTPacketEncoder.encode(
            .publish(PublishPacket(topic: "t", payload: ByteBuffer(), dup: true)),
            version: .v5,
            into: &buffer
        )
        #expect(buffer.readableArray == [0x30, 0x04, 0x00, 0x01, 0x74, 0x00])
        var decoder = MQTTPacketDecoder(version: .v5)
        #expect(try decoder.decodePacket(buffer: &buffer) != nil)
    }

    @Test(
        "encodedSize is exact across the remaining length boundaries",
        arguments: [0, 1, 120, 121, 122, 16_380, 16_390, 2_097_140, 2_097_160]
    )
    func sizes(_ payloadLength: Int) throws {
        let packet = MQTTPacket.publish(
            PublishPacket(topic: "t", payload: ByteBuffer(repeating: 0x61, count: payloadLength))
        )
        var buffer = ByteBuffer()
        MQTTPacketEncoder.encode(packet, version: .v3_1_1, into: &buffer)
        #expect(buffer.readableBytes == MQTTPacketEncoder.encodedSize(packet, version: .v3_1_1))
        var decoder = MQTTPacketDecoder(maximumPacketSize: .max, version: .v3_1_1)
        #expect(try decoder.decodePacket(buffer: &buffer) == packet)
    }
}
