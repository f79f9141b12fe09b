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

// PUBLISH and its acknowledgements: MQTT 5 §3.3-§3.7, MQTT 3.1.1 §3.3-§3.7.

extension PacketFixture {
    static let publish: [PacketFixture] = [
        PacketFixture(
            "PUBLISH QoS 0",
            .v3_1_1,
            packet: .publish(PublishPacket(topic: "a/b", payload: ByteBuffer(string: "hello"))),
            wire: [
                [0x30, 0x0A],  // fixed header: PUBLISH QoS 0, remaining length 10
                [0x00, 0x03], "a/b",  // topic name
                "hello",  // payload
            ]
        ),
        PacketFixture(
            "PUBLISH QoS 1 retain",
            .v3_1_1,
            packet: .publish(
                PublishPacket(
                    topic: "t",
                    payload: ByteBuffer(string: "x"),
                    qos: .atLeastOnce,
                    retain: true,
                    packetID: 7
                )
            ),
            wire: [
                [0x33, 0x06],  // fixed header: PUBLISH QoS 1 retain, remaining length 6
                [0x00, 0x01], "t",  // topic name
                [0x00, 0x07],  // packet identifier 7
                "x",  // payload
            ]
        ),
        PacketFixture(
            "PUBLISH QoS 2 dup, empty payload",
            .v3_1_1,
            packet: .publish(
                PublishPacket(topic: "t", payload: ByteBuffer(), qos: .exactlyOnce, dup: true, packetID: 0xABCD)
            ),
            wire: [
                [0x3C, 0x05],  // fixed header: PUBLISH dup QoS 2, remaining length 5
                [0x00, 0x01], "t",  // topic name
                [0xAB, 0xCD],  // packet identifier 43981
            ]
        ),
        PacketFixture(
            "PUBLISH properties are dropped",
            .v3_1_1,
            .encodeOnly,
            packet: .publish(
                PublishPacket(topic: "t", payload: ByteBuffer(string: "x"), properties: [.messageExpiryInterval(5)])
            ),
            wire: [
                [0x30, 0x04],  // fixed header: PUBLISH QoS 0, remaining length 4
                [0x00, 0x01], "t",  // topic name
                "x",  // payload
            ]
        ),
        PacketFixture(
            "PUBLISH QoS 0 retain, empty payload",
            .v3_1,
            packet: .publish(PublishPacket(topic: "x/y", payload: ByteBuffer(), retain: true)),
            wire: [
                [0x31, 0x05],  // fixed header: PUBLISH QoS 0 retain, remaining length 5
                [0x00, 0x03], "x/y",  // topic name
            ]
        ),
        PacketFixture(
            "PUBLISH QoS 1",
            .v3_1,
            packet: .publish(
                PublishPacket(topic: "t", payload: ByteBuffer(string: "p"), qos: .atLeastOnce, packetID: 1)
            ),
            wire: [
                [0x32, 0x06],  // fixed header: PUBLISH QoS 1, remaining length 6
                [0x00, 0x01], "t",  // topic name
                [0x00, 0x01],  // packet identifier 1
                "p",  // payload
            ]
        ),
        PacketFixture(
            "PUBLISH QoS 0 without properties",
            .v5,
            packet: .publish(PublishPacket(topic: "a/b", payload: ByteBuffer(string: "hi"))),
            wire: [
                [0x30, 0x08],  // fixed header: PUBLISH QoS 0, remaining length 8
                [0x00, 0x03], "a/b",  // topic name
                [0x00],  // property length 0
                "hi",  // payload
            ]
        ),
        PacketFixture(
            "PUBLISH QoS 1, every PUBLISH property, repeated user and subscription identifiers",
            .v5,
            packet: .publish(
                PublishPacket(
                    topic: "chat/room1",
                    payload: ByteBuffer(string: #"{"m":1}"#),
                    qos: .atLeastOnce,
                    packetID: 0x0102,
                    properties: [
                        .payloadFormatIndicator(1),
                        .messageExpiryInterval(60),
                        .topicAlias(5),
                        .responseTopic("chat/reply"),
                        .correlationData(ByteBuffer(string: "id7")),
                        .contentType("json"),
                        .userProperty("from", "alice"),
                        .userProperty("from", "bob"),
                        .subscriptionIdentifier(1),
                        .subscriptionIdentifier(200),
                    ]
                )
            ),
            wire: [
                [0x32, 0x59],  // fixed header: PUBLISH QoS 1, remaining length 89
                [0x00, 0x0A], "chat/room1",  // topic name
                [0x01, 0x02],  // packet identifier 258
                [0x43],  // property length 67
                [0x01, 0x01],  // payload format indicator: UTF-8
                [0x02, 0x00, 0x00, 0x00, 0x3C],  // message expiry interval 60
                [0x23, 0x00, 0x05],  // topic alias 5
                [0x08, 0x00, 0x0A], "chat/reply",  // response topic
                [0x09, 0x00, 0x03], "id7",  // correlation data
                [0x03, 0x00, 0x04], "json",  // content type
                [0x26, 0x00, 0x04], "from", [0x00, 0x05], "alice",  // user property from=alice
                [0x26, 0x00, 0x04], "from", [0x00, 0x03], "bob",  // user property from=bob: may repeat
                [0x0B, 0x01],  // subscription identifier 1
                [0x0B, 0xC8, 0x01],  // subscription identifier 200: may repeat in PUBLISH
                #"{"m":1}"#,  // payload
            ]
        ),
        PacketFixture(
            "PUBLISH QoS 2 dup retain, topic alias instead of a topic name, empty payload",
            .v5,
            packet: .publish(
                PublishPacket(
                    topic: "",
                    payload: ByteBuffer(),
                    qos: .exactlyOnce,
                    retain: true,
                    dup: true,
                    packetID: 9,
                    properties: [.topicAlias(3)]
                )
            ),
            wire: [
                [0x3D, 0x08],  // fixed header: PUBLISH dup QoS 2 retain, remaining length 8
                [0x00, 0x00],  // topic name "": the topic alias stands for it [MQTT-3.3.2-1]
                [0x00, 0x09],  // packet identifier 9
                [0x03],  // property length 3
                [0x23, 0x00, 0x03],  // topic alias 3
            ]
        ),
        PacketFixture(
            "PUBLISH 200-byte payload, two-byte remaining length",
            .v5,
            packet: .publish(PublishPacket(topic: "big", payload: ByteBuffer(bytes: Array(0..<200)))),
            wire: [
                [0x30, 0xCE, 0x01],  // fixed header: PUBLISH QoS 0, remaining length 206
                [0x00, 0x03], "big",  // topic name
                [0x00],  // property length 0
                WireRow(Array(0..<200)),  // payload: bytes 0 to 199
            ]
        ),
    ]

    static let acknowledgements: [PacketFixture] = [
        PacketFixture(
            "PUBACK",
            .v3_1_1,
            packet: .puback(AckPacket(packetID: 1)),
            wire: [
                [0x40, 0x02],  // fixed header: PUBACK, remaining length 2
                [0x00, 0x01],  // packet identifier 1
            ]
        ),
        PacketFixture(
            "PUBREC",
            .v3_1_1,
            packet: .pubrec(AckPacket(packetID: 2)),
            wire: [
                [0x50, 0x02],  // fixed header: PUBREC, remaining length 2
                [0x00, 0x02],  // packet identifier 2
            ]
        ),
        PacketFixture(
            "PUBREL",
            .v3_1_1,
            packet: .pubrel(AckPacket(packetID: 3)),
            wire: [
                [0x62, 0x02],  // fixed header: PUBREL (flags 0010), remaining length 2
                [0x00, 0x03],  // packet identifier 3
            ]
        ),
        PacketFixture(
            "PUBCOMP",
            .v3_1_1,
            packet: .pubcomp(AckPacket(packetID: 4)),
            wire: [
                [0x70, 0x02],  // fixed header: PUBCOMP, remaining length 2
                [0x00, 0x04],  // packet identifier 4
            ]
        ),
        PacketFixture(
            "PUBACK reason code and properties are dropped",
            .v3_1_1,
            .encodeOnly,
            packet: .puback(AckPacket(packetID: 5, reasonCode: .quotaExceeded, properties: [.reasonString("x")])),
            wire: [
                [0x40, 0x02],  // fixed header: PUBACK, remaining length 2
                [0x00, 0x05],  // packet identifier 5
            ]
        ),
        PacketFixture(
            "PUBACK",
            .v3_1,
            packet: .puback(AckPacket(packetID: 0x1234)),
            wire: [
                [0x40, 0x02],  // fixed header: PUBACK, remaining length 2
                [0x12, 0x34],  // packet identifier 4660
            ]
        ),
        PacketFixture(
            "PUBREL",
            .v3_1,
            packet: .pubrel(AckPacket(packetID: 5)),
            wire: [
                [0x62, 0x02],  // fixed header: PUBREL (QoS 1 in 3.1), remaining length 2
                [0x00, 0x05],  // packet identifier 5
            ]
        ),
        PacketFixture(
            "PUBREL retried with DUP",
            .v3_1,
            .decodeOnly,
            packet: .pubrel(AckPacket(packetID: 5)),
            wire: [
                [0x6A, 0x02],  // fixed header: PUBREL dup (3.1 marked retries so), remaining length 2
                [0x00, 0x05],  // packet identifier 5
            ]
        ),
        PacketFixture(
            "PUBREC",
            .v3_1,
            packet: .pubrec(AckPacket(packetID: 6)),
            wire: [
                [0x50, 0x02],  // fixed header: PUBREC, remaining length 2
                [0x00, 0x06],  // packet identifier 6
            ]
        ),
        PacketFixture(
            "PUBCOMP",
            .v3_1,
            packet: .pubcomp(AckPacket(packetID: 7)),
            wire: [
                [0x70, 0x02],  // fixed header: PUBCOMP, remaining length 2
                [0x00, 0x07],  // packet identifier 7
            ]
        ),
        PacketFixture(
            "PUBACK success, reason code and properties left out",
            .v5,
            packet: .puback(AckPacket(packetID: 1)),
            wire: [
                [0x40, 0x02],  // fixed header: PUBACK, remaining length 2
                [0x00, 0x01],  // packet identifier 1
            ]
        ),
        PacketFixture(
            "PUBACK reason code, property length left out",
            .v5,
            packet: .puback(AckPacket(packetID: 1, reasonCode: .noMatchingSubscribers)),
            wire: [
                [0x40, 0x03],  // fixed header: PUBACK, remaining length 3
                [0x00, 0x01],  // packet identifier 1
                [0x10],  // reason code: no matching subscribers
            ]
        ),
        PacketFixture(
            "PUBACK success with an empty property list",
            .v5,
            .decodeOnly,
            packet: .puback(AckPacket(packetID: 1)),
            wire: [
                [0x40, 0x04],  // fixed header: PUBACK, remaining length 4
                [0x00, 0x01],  // packet identifier 1
                [0x00],  // reason code: success
                [0x00],  // property length 0
            ]
        ),
        PacketFixture(
            "PUBACK success written out, property length left out",
            .v5,
            .decodeOnly,
            packet: .puback(AckPacket(packetID: 1)),
            wire: [
                [0x40, 0x03],  // fixed header: PUBACK, remaining length 3
                [0x00, 0x01],  // packet identifier 1
                [0x00],  // reason code: success
            ]
        ),
        PacketFixture(
            "PUBREC unspecified error, reason string, user property",
            .v5,
            packet: .pubrec(
                AckPacket(
                    packetID: 2,
                    reasonCode: .unspecifiedError,
                    properties: [.reasonString("nope"), .userProperty("a", "b")]
                )
            ),
            wire: [
                [0x50, 0x12],  // fixed header: PUBREC, remaining length 18
                [0x00, 0x02],  // packet identifier 2
                [0x80],  // reason code: unspecified error
                [0x0E],  // property length 14
                [0x1F, 0x00, 0x04], "nope",  // reason string
                [0x26, 0x00, 0x01], "a", [0x00, 0x01], "b",  // user property a=b
            ]
        ),
        PacketFixture(
            "PUBREL packet identifier not found",
            .v5,
            packet: .pubrel(AckPacket(packetID: 3, reasonCode: .packetIdentifierNotFound)),
            wire: [
                [0x62, 0x03],  // fixed header: PUBREL (flags 0010), remaining length 3
                [0x00, 0x03],  // packet identifier 3
                [0x92],  // reason code: packet identifier not found
            ]
        ),
        PacketFixture(
            "PUBCOMP success",
            .v5,
            packet: .pubcomp(AckPacket(packetID: 4)),
            wire: [
                [0x70, 0x02],  // fixed header: PUBCOMP, remaining length 2
                [0x00, 0x04],  // packet identifier 4
            ]
        ),
        PacketFixture(
            "PUBCOMP success with a reason string",
            .v5,
            packet: .pubcomp(AckPacket(packetID: 4, properties: [.reasonString("ok")])),
            wire: [
                [0x70, 0x09],  // fixed header: PUBCOMP, remaining length 9
                [0x00, 0x04],  // packet identifier 4
                [0x00],  // reason code: success, written because properties follow
                [0x05],  // property length 5
                [0x1F, 0x00, 0x02], "ok",  // reason string
            ]
        ),
    ]
}
