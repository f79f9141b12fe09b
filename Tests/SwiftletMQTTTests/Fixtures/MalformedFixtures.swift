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
import SwiftletMQTT

// Input the decoder must refuse, one case per rule, each with the reason code it is refused with.

/// A valid MQTT 5 CONNECT, to put a decoder in the server's connected state.
private let connectV5: [WireRow] = [
    [0x10, 0x10],  // fixed header: CONNECT, remaining length 16
    [0x00, 0x04], "MQTT",  // protocol name
    [0x05],  // protocol level 5
    [0x02],  // connect flags: clean start
    [0x00, 0x1E],  // keep alive 30 s
    [0x00],  // property length 0
    [0x00, 0x03], "zen",  // client identifier
]

extension MalformedFixture {
    static let framing: [MalformedFixture] = [
        MalformedFixture(
            "remaining length of five bytes",
            .v5,
            expect: .malformedPacket,
            wire: [
                [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]  // PUBLISH, remaining length continues past 4 bytes
            ]
        ),
        MalformedFixture(
            "remaining length refused before its fifth byte arrives",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [
                [0x30, 0x80, 0x80, 0x80, 0x80]  // the fourth length byte has the continuation bit
            ]
        ),
        MalformedFixture(
            "remaining length not minimally encoded",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [
                [0xC0, 0x80, 0x00]  // PINGREQ, remaining length 0 in two bytes [MQTT-1.5.5-1]
            ]
        ),
        MalformedFixture(
            "packet type 0",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0x00, 0x00]]
        ),
        MalformedFixture(
            "remaining length beyond the maximum packet size",
            .v5,
            expect: .packetTooLarge,
            maximumPacketSize: 100,
            wire: [
                [0x30, 0xE8, 0x07]  // PUBLISH, remaining length 1000; no body needed to refuse it
            ]
        ),
        MalformedFixture(
            "CONNECT beyond the maximum packet size",
            nil,
            expect: .packetTooLarge,
            maximumPacketSize: 17,
            wire: connectV5  // 18 bytes
        ),
        MalformedFixture(
            "PINGREQ flags 0001",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0xC1, 0x00]]  // [MQTT-2.1.3-1]
        ),
        MalformedFixture(
            "PUBACK flags 0001",
            .v5,
            expect: .malformedPacket,
            wire: [[0x41, 0x02], [0x00, 0x01]]
        ),
        MalformedFixture(
            "SUBSCRIBE flags 0000",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0x80, 0x06], [0x00, 0x01], [0x00, 0x01], "a", [0x00]]  // [MQTT-3.8.1-1]
        ),
        MalformedFixture(
            "SUBSCRIBE with DUP after MQTT 3.1",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0x8A, 0x06], [0x00, 0x01], [0x00, 0x01], "a", [0x00]]
        ),
        MalformedFixture(
            "PUBREL flags 0000",
            .v5,
            expect: .malformedPacket,
            wire: [[0x60, 0x02], [0x00, 0x01]]  // [MQTT-3.6.1-1]
        ),
        MalformedFixture(
            "UNSUBSCRIBE flags 0011",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0xA3, 0x05], [0x00, 0x01], [0x00, 0x01], "a"]  // [MQTT-3.10.1-1]
        ),
        MalformedFixture(
            "PUBLISH QoS 3",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0x36, 0x05], [0x00, 0x01], "t", [0x00, 0x01]]  // [MQTT-3.3.1-4]
        ),
        MalformedFixture(
            "PUBLISH DUP on QoS 0",
            .v5,
            expect: .malformedPacket,
            wire: [[0x38, 0x04], [0x00, 0x01], "t", [0x00]]  // [MQTT-3.3.1-2]
        ),
        MalformedFixture(
            "PINGREQ with a body",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0xC0, 0x01], [0x00]]
        ),
        MalformedFixture(
            "PINGRESP with a body",
            .v5,
            expect: .malformedPacket,
            wire: [[0xD0, 0x01], [0x00]]
        ),
        MalformedFixture(
            "PUBACK with a trailing byte",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0x40, 0x03], [0x00, 0x01], [0x00]]  // 3.1.1 PUBACK has no reason code
        ),
        MalformedFixture(
            "DISCONNECT with a trailing byte",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0xE0, 0x01], [0x00]]
        ),
        MalformedFixture(
            "CONNECT with a trailing byte",
            nil,
            expect: .malformedPacket,
            wire: [
                [0x10, 0x10], [0x00, 0x04], "MQTT", [0x04], [0x02], [0x00, 0x3C], [0x00, 0x03], "zen",
                [0xFF],  // one byte after the client identifier
            ]
        ),
        MalformedFixture(
            "PUBACK shorter than a packet identifier",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0x40, 0x01], [0x00]]
        ),
        MalformedFixture(
            "SUBSCRIBE topic filter longer than the packet",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0x82, 0x04], [0x00, 0x01], [0x00, 0x05]]
        ),
        MalformedFixture(
            "AUTH in MQTT 3.1.1",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0xF0, 0x00]]
        ),
        MalformedFixture(
            "AUTH in MQTT 3.1",
            .v3_1,
            expect: .malformedPacket,
            wire: [[0xF0, 0x00]]
        ),
    ]

    static let state: [MalformedFixture] = [
        MalformedFixture(
            "PINGREQ before CONNECT",
            nil,
            expect: .protocolError,
            wire: [[0xC0, 0x00]]  // [MQTT-3.1.0-1]
        ),
        MalformedFixture(
            "PUBLISH before CONNECT",
            nil,
            expect: .protocolError,
            wire: [[0x30, 0x04], [0x00, 0x01], "t", "x"]  // [MQTT-3.1.0-1]
        ),
        MalformedFixture(
            "second CONNECT",
            nil,
            expect: .protocolError,
            wire: connectV5 + connectV5  // [MQTT-3.1.0-2]
        ),
        MalformedFixture(
            "CONNECT to a decoder with a preset version",
            .v3_1_1,
            expect: .protocolError,
            wire: connectV5
        ),
        MalformedFixture(
            "CONNACK from a client",
            nil,
            expect: .protocolError,
            wire: connectV5 + [[0x20, 0x03], [0x00], [0x00], [0x00]]
        ),
        MalformedFixture(
            "SUBACK from a client",
            nil,
            expect: .protocolError,
            wire: connectV5 + [[0x90, 0x04], [0x00, 0x01], [0x00], [0x00]]
        ),
        MalformedFixture(
            "PINGRESP from a client",
            nil,
            expect: .protocolError,
            wire: connectV5 + [[0xD0, 0x00]]
        ),
        MalformedFixture(
            "PUBLISH from a client with a subscription identifier",
            nil,
            expect: .protocolError,
            wire: connectV5 + [
                [0x30, 0x07],  // fixed header: PUBLISH QoS 0, remaining length 7
                [0x00, 0x01], "t",  // topic name
                [0x02], [0x0B, 0x01],  // subscription identifier 1 [MQTT-3.3.4-6]
                "x",  // payload
            ]
        ),
    ]

    static let connect: [MalformedFixture] = [
        MalformedFixture(
            "unknown protocol name",
            nil,
            expect: .unsupportedProtocolVersion,
            wire: [[0x10, 0x0C], [0x00, 0x04], "MQTX", [0x04], [0x02], [0x00, 0x3C], [0x00, 0x00]]
        ),
        MalformedFixture(
            "unknown protocol level",
            nil,
            expect: .unsupportedProtocolVersion,
            wire: [[0x10, 0x0C], [0x00, 0x04], "MQTT", [0x06], [0x02], [0x00, 0x3C], [0x00, 0x00]]
        ),
        MalformedFixture(
            "MQTT with the 3.1 level",
            nil,
            expect: .unsupportedProtocolVersion,
            wire: [[0x10, 0x0C], [0x00, 0x04], "MQTT", [0x03], [0x02], [0x00, 0x3C], [0x00, 0x00]]
        ),
        MalformedFixture(
            "MQIsdp with the 3.1.1 level",
            nil,
            expect: .unsupportedProtocolVersion,
            wire: [[0x10, 0x0E], [0x00, 0x06], "MQIsdp", [0x04], [0x02], [0x00, 0x3C], [0x00, 0x00]]
        ),
        MalformedFixture(
            "protocol name longer than the packet",
            nil,
            expect: .malformedPacket,
            wire: [[0x10, 0x04], [0x00, 0x04], "MQ"]
        ),
        MalformedFixture(
            "reserved connect flag",
            nil,
            expect: .malformedPacket,
            wire: [
                [0x10, 0x0F], [0x00, 0x04], "MQTT", [0x04],
                [0x03],  // connect flags: reserved bit 0 set [MQTT-3.1.2-3]
                [0x00, 0x3C], [0x00, 0x03], "zen",
            ]
        ),
        MalformedFixture(
            "will QoS 3",
            nil,
            expect: .malformedPacket,
            wire: [
                [0x10, 0x0F], [0x00, 0x04], "MQTT", [0x04],
                [0x1E],  // connect flags: will QoS 3, will, clean session [MQTT-3.1.2-14]
                [0x00, 0x3C], [0x00, 0x03], "zen",
            ]
        ),
        MalformedFixture(
            "will QoS without a will",
            nil,
            expect: .malformedPacket,
            wire: [
                [0x10, 0x0F], [0x00, 0x04], "MQTT", [0x04],
                [0x0A],  // connect flags: will QoS 1 without will, clean session [MQTT-3.1.2-13]
                [0x00, 0x3C], [0x00, 0x03], "zen",
            ]
        ),
        MalformedFixture(
            "will retain without a will",
            nil,
            expect: .malformedPacket,
            wire: [
                [0x10, 0x10], [0x00, 0x04], "MQTT", [0x05],
                [0x22],  // connect flags: will retain without will, clean start [MQTT-3.1.2-13]
                [0x00, 0x3C], [0x00], [0x00, 0x03], "zen",
            ]
        ),
        MalformedFixture(
            "password without user name in 3.1.1",
            nil,
            expect: .protocolError,
            wire: [
                [0x10, 0x10], [0x00, 0x04], "MQTT", [0x04],
                [0x42],  // connect flags: password, clean session [MQTT-3.1.2-22]
                [0x00, 0x3C], [0x00, 0x00], [0x00, 0x02], "pw",
            ]
        ),
        MalformedFixture(
            "empty client identifier without clean session in 3.1.1",
            nil,
            expect: .clientIdentifierNotValid,
            // [MQTT-3.1.3-8]
            wire: [[0x10, 0x0C], [0x00, 0x04], "MQTT", [0x04], [0x00], [0x00, 0x3C], [0x00, 0x00]]
        ),
        MalformedFixture(
            "empty client identifier in 3.1",
            nil,
            expect: .clientIdentifierNotValid,
            wire: [[0x10, 0x0E], [0x00, 0x06], "MQIsdp", [0x03], [0x02], [0x00, 0x3C], [0x00, 0x00]]
        ),
        MalformedFixture(
            "overlong U+0000 in the client identifier",
            nil,
            expect: .malformedPacket,
            wire: [
                [0x10, 0x0E], [0x00, 0x04], "MQTT", [0x04], [0x02], [0x00, 0x3C],
                [0x00, 0x02, 0xC0, 0x80],  // client identifier: U+0000 in two bytes, ill-formed [MQTT-1.5.4-1]
            ]
        ),
        MalformedFixture(
            "will topic with a wildcard",
            nil,
            expect: .topicNameInvalid,
            wire: [
                [0x10, 0x14], [0x00, 0x04], "MQTT", [0x04],
                [0x06],  // connect flags: will, clean session
                [0x00, 0x3C], [0x00, 0x01], "c",
                [0x00, 0x03], "a/#",  // will topic
                [0x00, 0x00],  // will payload
            ]
        ),
        MalformedFixture(
            "will flag without will fields",
            nil,
            expect: .malformedPacket,
            wire: [[0x10, 0x0D], [0x00, 0x04], "MQTT", [0x04], [0x06], [0x00, 0x3C], [0x00, 0x01], "c"]
        ),
        MalformedFixture(
            "receive maximum 0",
            nil,
            expect: .protocolError,
            wire: [
                [0x10, 0x13], [0x00, 0x04], "MQTT", [0x05], [0x02], [0x00, 0x3C],
                [0x03], [0x21, 0x00, 0x00],  // receive maximum 0
                [0x00, 0x03], "zen",
            ]
        ),
        MalformedFixture(
            "maximum packet size 0",
            nil,
            expect: .protocolError,
            wire: [
                [0x10, 0x15], [0x00, 0x04], "MQTT", [0x05], [0x02], [0x00, 0x3C],
                [0x05], [0x27, 0x00, 0x00, 0x00, 0x00],  // maximum packet size 0
                [0x00, 0x03], "zen",
            ]
        ),
        MalformedFixture(
            "request problem information 2",
            nil,
            expect: .protocolError,
            wire: [
                [0x10, 0x12], [0x00, 0x04], "MQTT", [0x05], [0x02], [0x00, 0x3C],
                [0x02], [0x17, 0x02],  // request problem information 2
                [0x00, 0x03], "zen",
            ]
        ),
        MalformedFixture(
            "authentication data without a method",
            nil,
            expect: .protocolError,
            wire: [
                [0x10, 0x14], [0x00, 0x04], "MQTT", [0x05], [0x02], [0x00, 0x3C],
                [0x04], [0x16, 0x00, 0x01], "x",  // authentication data alone
                [0x00, 0x03], "zen",
            ]
        ),
        MalformedFixture(
            "assigned client identifier in CONNECT",
            nil,
            expect: .protocolError,
            wire: [
                [0x10, 0x14], [0x00, 0x04], "MQTT", [0x05], [0x02], [0x00, 0x3C],
                [0x04], [0x12, 0x00, 0x01], "a",  // assigned client identifier: CONNACK only
                [0x00, 0x03], "zen",
            ]
        ),
        MalformedFixture(
            "will delay interval in the CONNECT properties",
            nil,
            expect: .protocolError,
            wire: [
                [0x10, 0x15], [0x00, 0x04], "MQTT", [0x05], [0x02], [0x00, 0x3C],
                [0x05], [0x18, 0x00, 0x00, 0x00, 0x01],  // will delay interval: will properties only
                [0x00, 0x03], "zen",
            ]
        ),
    ]

    static let publish: [MalformedFixture] = [
        MalformedFixture(
            "QoS 1 with packet identifier 0",
            .v3_1_1,
            expect: .protocolError,
            wire: [[0x32, 0x05], [0x00, 0x01], "t", [0x00, 0x00]]  // [MQTT-2.2.1-3]
        ),
        MalformedFixture(
            "QoS 2 without a packet identifier",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0x34, 0x03], [0x00, 0x01], "t"]
        ),
        MalformedFixture(
            "ill-formed UTF-8 in the topic name",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0x30, 0x04], [0x00, 0x02, 0xC3, 0x28]]  // [MQTT-1.5.4-1]
        ),
        MalformedFixture(
            "UTF-16 surrogate in the topic name",
            .v5,
            expect: .malformedPacket,
            wire: [[0x30, 0x06], [0x00, 0x03, 0xED, 0xA0, 0x80], [0x00]]  // [MQTT-1.5.4-1]
        ),
        MalformedFixture(
            "U+0000 in the topic name",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0x30, 0x04], [0x00, 0x02], "a", [0x00]]  // [MQTT-1.5.4-2]
        ),
        MalformedFixture(
            "+ in the topic name",
            .v3_1_1,
            expect: .topicNameInvalid,
            wire: [[0x30, 0x05], [0x00, 0x03], "a/+"]  // [MQTT-3.3.2-2]
        ),
        MalformedFixture(
            "# in the topic name",
            .v5,
            expect: .topicNameInvalid,
            wire: [[0x30, 0x06], [0x00, 0x03], "a/#", [0x00]]  // [MQTT-3.3.2-2]
        ),
        MalformedFixture(
            "empty topic name",
            .v3_1_1,
            expect: .topicNameInvalid,
            wire: [[0x30, 0x02], [0x00, 0x00]]
        ),
        MalformedFixture(
            "empty topic name without a topic alias",
            .v5,
            expect: .protocolError,
            wire: [[0x30, 0x03], [0x00, 0x00], [0x00]]  // [MQTT-3.3.2-1]
        ),
        MalformedFixture(
            "ill-formed UTF-8 in a user property",
            .v5,
            expect: .malformedPacket,
            wire: [[0x30, 0x0B], [0x00, 0x01], "t", [0x07], [0x26, 0x00, 0x01, 0xFF, 0x00, 0x01], "v"]
        ),
        MalformedFixture(
            "unknown property identifier",
            .v5,
            expect: .malformedPacket,
            wire: [[0x30, 0x06], [0x00, 0x01], "t", [0x02], [0x7F, 0x00]]
        ),
        MalformedFixture(
            "property length longer than the packet",
            .v5,
            expect: .malformedPacket,
            wire: [[0x30, 0x05], [0x00, 0x01], "t", [0x05], [0x01]]
        ),
        MalformedFixture(
            "property length of five bytes",
            .v5,
            expect: .malformedPacket,
            wire: [[0x30, 0x08], [0x00, 0x01], "t", [0xFF, 0xFF, 0xFF, 0xFF, 0x7F]]
        ),
        MalformedFixture(
            "property value cut short",
            .v5,
            expect: .malformedPacket,
            wire: [[0x30, 0x06], [0x00, 0x01], "t", [0x02], [0x02, 0x00]]  // message expiry needs 4 bytes
        ),
        MalformedFixture(
            "message expiry interval twice",
            .v5,
            expect: .protocolError,
            wire: [
                [0x30, 0x0E], [0x00, 0x01], "t", [0x0A],
                [0x02, 0x00, 0x00, 0x00, 0x01],  // message expiry interval 1
                [0x02, 0x00, 0x00, 0x00, 0x02],  // message expiry interval 2
            ]
        ),
        MalformedFixture(
            "session expiry interval in PUBLISH",
            .v5,
            expect: .protocolError,
            wire: [[0x30, 0x09], [0x00, 0x01], "t", [0x05], [0x11, 0x00, 0x00, 0x00, 0x0A]]
        ),
        MalformedFixture(
            "payload format indicator 2",
            .v5,
            expect: .protocolError,
            wire: [[0x30, 0x06], [0x00, 0x01], "t", [0x02], [0x01, 0x02]]
        ),
        MalformedFixture(
            "topic alias 0",
            .v5,
            expect: .topicAliasInvalid,
            wire: [[0x30, 0x07], [0x00, 0x01], "t", [0x03], [0x23, 0x00, 0x00]]  // [MQTT-3.3.2-8]
        ),
        MalformedFixture(
            "response topic with a wildcard",
            .v5,
            expect: .protocolError,
            wire: [[0x30, 0x08], [0x00, 0x01], "t", [0x04], [0x08, 0x00, 0x01], "#"]  // [MQTT-3.3.2-14]
        ),
    ]

    static let acknowledgements: [MalformedFixture] = [
        MalformedFixture(
            "PUBACK packet identifier 0",
            .v3_1_1,
            expect: .protocolError,
            wire: [[0x40, 0x02], [0x00, 0x00]]
        ),
        MalformedFixture(
            "PUBACK undefined reason code",
            .v5,
            expect: .protocolError,
            wire: [[0x40, 0x03], [0x00, 0x01], [0x01]]
        ),
        MalformedFixture(
            "PUBREL with a PUBACK-only reason code",
            .v5,
            expect: .protocolError,
            wire: [[0x62, 0x03], [0x00, 0x01], [0x10]]
        ),
        MalformedFixture(
            "topic alias in PUBACK",
            .v5,
            expect: .protocolError,
            wire: [[0x40, 0x07], [0x00, 0x01], [0x00], [0x03], [0x23, 0x00, 0x01]]
        ),
        MalformedFixture(
            "CONNACK reserved flags",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0x20, 0x02], [0x02], [0x00]]  // [MQTT-3.2.2-1]
        ),
        MalformedFixture(
            "CONNACK return code 6",
            .v3_1_1,
            expect: .protocolError,
            wire: [[0x20, 0x02], [0x00], [0x06]]
        ),
        MalformedFixture(
            "CONNACK refusal with session present",
            .v5,
            expect: .protocolError,
            wire: [[0x20, 0x03], [0x01], [0x80], [0x00]]  // [MQTT-3.2.2-6]
        ),
        MalformedFixture(
            "CONNACK maximum QoS 2",
            .v5,
            expect: .protocolError,
            wire: [[0x20, 0x05], [0x00], [0x00], [0x02], [0x24, 0x02]]
        ),
        MalformedFixture(
            "SUBACK return code 3",
            .v3_1_1,
            expect: .protocolError,
            wire: [[0x90, 0x03], [0x00, 0x01], [0x03]]  // [MQTT-3.9.3-2]
        ),
        MalformedFixture(
            "SUBACK without reason codes",
            .v5,
            expect: .protocolError,
            wire: [[0x90, 0x03], [0x00, 0x01], [0x00]]
        ),
        MalformedFixture(
            "UNSUBACK without reason codes",
            .v5,
            expect: .protocolError,
            wire: [[0xB0, 0x03], [0x00, 0x01], [0x00]]
        ),
        MalformedFixture(
            "DISCONNECT undefined reason code",
            .v5,
            expect: .protocolError,
            wire: [[0xE0, 0x01], [0x05]]
        ),
        MalformedFixture(
            "DISCONNECT receive maximum",
            .v5,
            expect: .protocolError,
            wire: [[0xE0, 0x05], [0x00], [0x03], [0x21, 0x00, 0x01]]
        ),
        MalformedFixture(
            "AUTH undefined reason code",
            .v5,
            expect: .protocolError,
            wire: [[0xF0, 0x01], [0x01]]
        ),
        MalformedFixture(
            "AUTH data without a method",
            .v5,
            expect: .protocolError,
            wire: [[0xF0, 0x07], [0x18], [0x05], [0x16, 0x00, 0x02, 0x01, 0x02]]
        ),
    ]

    static let subscribe: [MalformedFixture] = [
        MalformedFixture(
            "SUBSCRIBE packet identifier 0",
            .v3_1_1,
            expect: .protocolError,
            wire: [[0x82, 0x06], [0x00, 0x00], [0x00, 0x01], "a", [0x00]]  // [MQTT-2.2.1-3]
        ),
        MalformedFixture(
            "UNSUBSCRIBE packet identifier 0",
            .v5,
            expect: .protocolError,
            wire: [[0xA2, 0x06], [0x00, 0x00], [0x00], [0x00, 0x01], "a"]  // [MQTT-2.2.1-3]
        ),
        MalformedFixture(
            "SUBSCRIBE without topic filters",
            .v3_1_1,
            expect: .protocolError,
            wire: [[0x82, 0x02], [0x00, 0x01]]  // [MQTT-3.8.3-3]
        ),
        MalformedFixture(
            "SUBSCRIBE with only properties",
            .v5,
            expect: .protocolError,
            wire: [[0x82, 0x03], [0x00, 0x01], [0x00]]  // [MQTT-3.8.3-3]
        ),
        MalformedFixture(
            "UNSUBSCRIBE without topic filters",
            .v3_1_1,
            expect: .protocolError,
            wire: [[0xA2, 0x02], [0x00, 0x01]]  // [MQTT-3.10.3-2]
        ),
        MalformedFixture(
            "SUBSCRIBE empty topic filter",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0x82, 0x05], [0x00, 0x01], [0x00, 0x00], [0x00]]  // [MQTT-4.7.3-1]
        ),
        MalformedFixture(
            "UNSUBSCRIBE empty topic filter",
            .v5,
            expect: .malformedPacket,
            wire: [[0xA2, 0x05], [0x00, 0x01], [0x00], [0x00, 0x00]]  // [MQTT-4.7.3-1]
        ),
        MalformedFixture(
            "SUBSCRIBE ill-formed UTF-8 topic filter",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0x82, 0x06], [0x00, 0x01], [0x00, 0x01, 0xFF], [0x00]]  // [MQTT-1.5.4-1]
        ),
        MalformedFixture(
            "SUBSCRIBE topic filter without options",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0x82, 0x05], [0x00, 0x01], [0x00, 0x01], "a"]
        ),
        MalformedFixture(
            "SUBSCRIBE reserved bits of the requested QoS byte",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0x82, 0x06], [0x00, 0x01], [0x00, 0x01], "a", [0x04]]  // [MQTT-3-8.3-4]
        ),
        MalformedFixture(
            "SUBSCRIBE requested QoS 3",
            .v3_1_1,
            expect: .malformedPacket,
            wire: [[0x82, 0x06], [0x00, 0x01], [0x00, 0x01], "a", [0x03]]  // [MQTT-3-8.3-4]
        ),
        MalformedFixture(
            "SUBSCRIBE reserved subscription option bits",
            .v5,
            expect: .malformedPacket,
            wire: [[0x82, 0x07], [0x00, 0x01], [0x00], [0x00, 0x01], "a", [0x40]]  // [MQTT-3.8.3-5]
        ),
        MalformedFixture(
            "SUBSCRIBE maximum QoS 3",
            .v5,
            expect: .protocolError,
            wire: [[0x82, 0x07], [0x00, 0x01], [0x00], [0x00, 0x01], "a", [0x03]]
        ),
        MalformedFixture(
            "SUBSCRIBE retain handling 3",
            .v5,
            expect: .protocolError,
            wire: [[0x82, 0x07], [0x00, 0x01], [0x00], [0x00, 0x01], "a", [0x30]]
        ),
        MalformedFixture(
            "SUBSCRIBE no local on a shared subscription",
            .v5,
            expect: .protocolError,
            wire: [[0x82, 0x10], [0x00, 0x01], [0x00], [0x00, 0x0A], "$share/g/t", [0x04]]  // [MQTT-3.8.3-4]
        ),
        MalformedFixture(
            "SUBSCRIBE subscription identifier 0",
            .v5,
            expect: .protocolError,
            wire: [[0x82, 0x09], [0x00, 0x01], [0x02], [0x0B, 0x00], [0x00, 0x01], "a", [0x00]]
        ),
        MalformedFixture(
            "SUBSCRIBE subscription identifier twice",
            .v5,
            expect: .protocolError,
            wire: [[0x82, 0x0B], [0x00, 0x01], [0x04], [0x0B, 0x01], [0x0B, 0x02], [0x00, 0x01], "a", [0x00]]
        ),
        MalformedFixture(
            "SUBSCRIBE reason string",
            .v5,
            expect: .protocolError,
            wire: [[0x82, 0x0B], [0x00, 0x01], [0x04], [0x1F, 0x00, 0x01], "r", [0x00, 0x01], "a", [0x00]]
        ),
    ]

    static let all: [MalformedFixture] = framing + state + connect + publish + acknowledgements + subscribe
}
