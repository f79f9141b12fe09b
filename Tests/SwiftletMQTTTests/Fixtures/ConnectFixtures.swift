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

// CONNECT and CONNACK: MQTT 5 §3.1-§3.2, MQTT 3.1.1 §3.1-§3.2, MQTT 3.1 §3.1-§3.2.

extension PacketFixture {
    static let connect: [PacketFixture] = [
        PacketFixture(
            "CONNECT clean session",
            .v3_1_1,
            packet: .connect(ConnectPacket(version: .v3_1_1, cleanStart: true, keepAlive: 60, clientID: "zen")),
            wire: [
                [0x10, 0x0F],  // fixed header: CONNECT, remaining length 15
                [0x00, 0x04], "MQTT",  // protocol name
                [0x04],  // protocol level 4 (3.1.1)
                [0x02],  // connect flags: clean session
                [0x00, 0x3C],  // keep alive 60 s
                [0x00, 0x03], "zen",  // client identifier
            ]
        ),
        PacketFixture(
            "CONNECT will, user name, password",
            .v3_1_1,
            packet: .connect(
                ConnectPacket(
                    version: .v3_1_1,
                    cleanStart: false,
                    keepAlive: 30,
                    clientID: "zen",
                    will: WillMessage(
                        topic: "lwt",
                        payload: ByteBuffer(string: "gone"),
                        qos: .atLeastOnce,
                        retain: true
                    ),
                    username: "mochi",
                    password: ByteBuffer(string: ",./;")
                )
            ),
            wire: [
                [0x10, 0x27],  // fixed header: CONNECT, remaining length 39
                [0x00, 0x04], "MQTT",  // protocol name
                [0x04],  // protocol level 4 (3.1.1)
                [0xEC],  // connect flags: user name, password, will retain, will QoS 1, will
                [0x00, 0x1E],  // keep alive 30 s
                [0x00, 0x03], "zen",  // client identifier
                [0x00, 0x03], "lwt",  // will topic
                [0x00, 0x04], "gone",  // will payload
                [0x00, 0x05], "mochi",  // user name
                [0x00, 0x04], ",./;",  // password
            ]
        ),
        PacketFixture(
            "CONNECT empty client identifier with clean session",
            .v3_1_1,
            packet: .connect(ConnectPacket(version: .v3_1_1, cleanStart: true, keepAlive: 0, clientID: "")),
            wire: [
                [0x10, 0x0C],  // fixed header: CONNECT, remaining length 12
                [0x00, 0x04], "MQTT",  // protocol name
                [0x04],  // protocol level 4 (3.1.1)
                [0x02],  // connect flags: clean session
                [0x00, 0x00],  // keep alive off
                [0x00, 0x00],  // client identifier "": the server assigns one [MQTT-3.1.3-6]
            ]
        ),
        PacketFixture(
            "CONNECT user name and password",
            .v3_1,
            packet: .connect(
                ConnectPacket(
                    version: .v3_1,
                    cleanStart: true,
                    keepAlive: 10,
                    clientID: "c31",
                    username: "u",
                    password: ByteBuffer(string: "p")
                )
            ),
            wire: [
                [0x10, 0x17],  // fixed header: CONNECT, remaining length 23
                [0x00, 0x06], "MQIsdp",  // protocol name of 3.1
                [0x03],  // protocol level 3 (3.1)
                [0xC2],  // connect flags: user name, password, clean session
                [0x00, 0x0A],  // keep alive 10 s
                [0x00, 0x03], "c31",  // client identifier
                [0x00, 0x01], "u",  // user name
                [0x00, 0x01], "p",  // password
            ]
        ),
        PacketFixture(
            "CONNECT will QoS 2, empty will payload",
            .v3_1,
            packet: .connect(
                ConnectPacket(
                    version: .v3_1,
                    cleanStart: false,
                    keepAlive: 0,
                    clientID: "id",
                    will: WillMessage(topic: "w", payload: ByteBuffer(), qos: .exactlyOnce, retain: false)
                )
            ),
            wire: [
                [0x10, 0x15],  // fixed header: CONNECT, remaining length 21
                [0x00, 0x06], "MQIsdp",  // protocol name of 3.1
                [0x03],  // protocol level 3 (3.1)
                [0x14],  // connect flags: will QoS 2, will
                [0x00, 0x00],  // keep alive off
                [0x00, 0x02], "id",  // client identifier
                [0x00, 0x01], "w",  // will topic
                [0x00, 0x00],  // will payload, empty
            ]
        ),
        PacketFixture(
            "CONNECT password flag without the password",
            .v3_1,
            .decodeOnly,
            packet: .connect(
                ConnectPacket(version: .v3_1, cleanStart: true, keepAlive: 60, clientID: "a", username: "u")
            ),
            wire: [
                [0x10, 0x12],  // fixed header: CONNECT, remaining length 18
                [0x00, 0x06], "MQIsdp",  // protocol name of 3.1
                [0x03],  // protocol level 3 (3.1)
                [0xC2],  // connect flags: user name, password, clean session
                [0x00, 0x3C],  // keep alive 60 s
                [0x00, 0x01], "a",  // client identifier
                [0x00, 0x01], "u",  // user name; the password is missing, as some 3.1 clients send it
            ]
        ),
        PacketFixture(
            "CONNECT minimal",
            .v5,
            packet: .connect(ConnectPacket(version: .v5, cleanStart: true, keepAlive: 30, clientID: "zen")),
            wire: [
                [0x10, 0x10],  // fixed header: CONNECT, remaining length 16
                [0x00, 0x04], "MQTT",  // protocol name
                [0x05],  // protocol level 5
                [0x02],  // connect flags: clean start
                [0x00, 0x1E],  // keep alive 30 s
                [0x00],  // property length 0
                [0x00, 0x03], "zen",  // client identifier
            ]
        ),
        PacketFixture(
            "CONNECT every property, will with properties, binary password",
            .v5,
            packet: .connect(
                ConnectPacket(
                    version: .v5,
                    cleanStart: true,
                    keepAlive: 60,
                    clientID: "zen",
                    will: WillMessage(
                        topic: "lwt",
                        payload: ByteBuffer(string: "offline"),
                        qos: .exactlyOnce,
                        retain: false,
                        properties: [
                            .willDelayInterval(600),
                            .payloadFormatIndicator(1),
                            .messageExpiryInterval(3600),
                            .contentType("text/plain"),
                            .responseTopic("r/t"),
                            .correlationData(ByteBuffer(bytes: [0x01, 0x02])),
                            .userProperty("a", "b"),
                        ]
                    ),
                    username: "user",
                    password: ByteBuffer(bytes: [0x00, 0x01, 0xFF, 0x10, 0x7F, 0x80]),
                    properties: [
                        .sessionExpiryInterval(120),
                        .receiveMaximum(20),
                        .maximumPacketSize(32000),
                        .topicAliasMaximum(10),
                        .requestResponseInformation(1),
                        .requestProblemInformation(0),
                        .userProperty("k", "v"),
                        .authenticationMethod("SCRAM"),
                        .authenticationData(ByteBuffer(string: "abc")),
                    ]
                )
            ),
            wire: [
                [0x10, 0x81, 0x01],  // fixed header: CONNECT, remaining length 129 (two bytes)
                [0x00, 0x04], "MQTT",  // protocol name
                [0x05],  // protocol level 5
                [0xD6],  // connect flags: user name, password, will QoS 2, will, clean start
                [0x00, 0x3C],  // keep alive 60 s
                [0x29],  // property length 41
                [0x11, 0x00, 0x00, 0x00, 0x78],  // session expiry interval 120
                [0x21, 0x00, 0x14],  // receive maximum 20
                [0x27, 0x00, 0x00, 0x7D, 0x00],  // maximum packet size 32000
                [0x22, 0x00, 0x0A],  // topic alias maximum 10
                [0x19, 0x01],  // request response information 1
                [0x17, 0x00],  // request problem information 0
                [0x26, 0x00, 0x01], "k", [0x00, 0x01], "v",  // user property k=v
                [0x15, 0x00, 0x05], "SCRAM",  // authentication method
                [0x16, 0x00, 0x03], "abc",  // authentication data
                [0x00, 0x03], "zen",  // client identifier
                [0x2B],  // will property length 43
                [0x18, 0x00, 0x00, 0x02, 0x58],  // will delay interval 600
                [0x01, 0x01],  // payload format indicator: UTF-8
                [0x02, 0x00, 0x00, 0x0E, 0x10],  // message expiry interval 3600
                [0x03, 0x00, 0x0A], "text/plain",  // content type
                [0x08, 0x00, 0x03], "r/t",  // response topic
                [0x09, 0x00, 0x02, 0x01, 0x02],  // correlation data
                [0x26, 0x00, 0x01], "a", [0x00, 0x01], "b",  // user property a=b
                [0x00, 0x03], "lwt",  // will topic
                [0x00, 0x07], "offline",  // will payload
                [0x00, 0x04], "user",  // user name
                [0x00, 0x06, 0x00, 0x01, 0xFF, 0x10, 0x7F, 0x80],  // password: binary, not UTF-8
            ]
        ),
        PacketFixture(
            "CONNECT password without user name, empty client identifier, no clean start",
            .v5,
            packet: .connect(
                ConnectPacket(
                    version: .v5,
                    cleanStart: false,
                    keepAlive: 0,
                    clientID: "",
                    password: ByteBuffer(string: "pw")
                )
            ),
            wire: [
                [0x10, 0x11],  // fixed header: CONNECT, remaining length 17
                [0x00, 0x04], "MQTT",  // protocol name
                [0x05],  // protocol level 5
                [0x40],  // connect flags: password only (MQTT 5 §3.1.2.9)
                [0x00, 0x00],  // keep alive off
                [0x00],  // property length 0
                [0x00, 0x00],  // client identifier ""
                [0x00, 0x02], "pw",  // password
            ]
        ),
    ]

    static let connack: [PacketFixture] = [
        PacketFixture(
            "CONNACK accepted, session present",
            .v3_1_1,
            packet: .connack(ConnAckPacket(sessionPresent: true, reasonCode: .success)),
            wire: [
                [0x20, 0x02],  // fixed header: CONNACK, remaining length 2
                [0x01],  // acknowledge flags: session present
                [0x00],  // return code 0: accepted
            ]
        ),
        PacketFixture(
            "CONNACK not authorized",
            .v3_1_1,
            packet: .connack(ConnAckPacket(sessionPresent: false, reasonCode: .notAuthorized)),
            wire: [
                [0x20, 0x02],  // fixed header: CONNACK, remaining length 2
                [0x00],  // acknowledge flags
                [0x05],  // return code 5: not authorized
            ]
        ),
        PacketFixture(
            "CONNACK server busy maps to server unavailable",
            .v3_1_1,
            .encodeOnly,
            packet: .connack(
                ConnAckPacket(sessionPresent: true, reasonCode: .serverBusy, properties: [.reasonString("x")])
            ),
            wire: [
                [0x20, 0x02],  // fixed header: CONNACK, remaining length 2
                [0x00],  // acknowledge flags: no session on refusal [MQTT-3.2.2-4]
                [0x03],  // return code 3: server unavailable
            ]
        ),
        PacketFixture(
            "CONNACK accepted",
            .v3_1,
            packet: .connack(ConnAckPacket(sessionPresent: false, reasonCode: .success)),
            wire: [
                [0x20, 0x02],  // fixed header: CONNACK, remaining length 2
                [0x00],  // reserved
                [0x00],  // return code 0: accepted
            ]
        ),
        PacketFixture(
            "CONNACK identifier rejected",
            .v3_1,
            packet: .connack(ConnAckPacket(sessionPresent: false, reasonCode: .clientIdentifierNotValid)),
            wire: [
                [0x20, 0x02],  // fixed header: CONNACK, remaining length 2
                [0x00],  // reserved
                [0x02],  // return code 2: identifier rejected
            ]
        ),
        PacketFixture(
            "CONNACK success",
            .v5,
            packet: .connack(ConnAckPacket(sessionPresent: false, reasonCode: .success)),
            wire: [
                [0x20, 0x03],  // fixed header: CONNACK, remaining length 3
                [0x00],  // acknowledge flags
                [0x00],  // reason code: success
                [0x00],  // property length 0
            ]
        ),
        PacketFixture(
            "CONNACK session present, server capabilities",
            .v5,
            packet: .connack(
                ConnAckPacket(
                    sessionPresent: true,
                    reasonCode: .success,
                    properties: [
                        .assignedClientIdentifier("auto-1"),
                        .serverKeepAlive(30),
                        .receiveMaximum(100),
                        .topicAliasMaximum(16),
                        .maximumQoS(1),
                        .retainAvailable(1),
                        .maximumPacketSize(1_048_576),
                        .wildcardSubscriptionAvailable(1),
                        .subscriptionIdentifiersAvailable(1),
                        .sharedSubscriptionAvailable(1),
                        .responseInformation("resp/"),
                        .sessionExpiryInterval(3600),
                        .userProperty("x", "y"),
                    ]
                )
            ),
            wire: [
                [0x20, 0x38],  // fixed header: CONNACK, remaining length 56
                [0x01],  // acknowledge flags: session present
                [0x00],  // reason code: success
                [0x35],  // property length 53
                [0x12, 0x00, 0x06], "auto-1",  // assigned client identifier
                [0x13, 0x00, 0x1E],  // server keep alive 30
                [0x21, 0x00, 0x64],  // receive maximum 100
                [0x22, 0x00, 0x10],  // topic alias maximum 16
                [0x24, 0x01],  // maximum QoS 1
                [0x25, 0x01],  // retain available
                [0x27, 0x00, 0x10, 0x00, 0x00],  // maximum packet size 1 MiB
                [0x28, 0x01],  // wildcard subscription available
                [0x29, 0x01],  // subscription identifiers available
                [0x2A, 0x01],  // shared subscription available
                [0x1A, 0x00, 0x05], "resp/",  // response information
                [0x11, 0x00, 0x00, 0x0E, 0x10],  // session expiry interval 3600
                [0x26, 0x00, 0x01], "x", [0x00, 0x01], "y",  // user property x=y
            ]
        ),
        PacketFixture(
            "CONNACK bad user name or password, reason string, server reference",
            .v5,
            packet: .connack(
                ConnAckPacket(
                    sessionPresent: false,
                    reasonCode: .badUserNameOrPassword,
                    properties: [.reasonString("denied"), .serverReference("other:1883")]
                )
            ),
            wire: [
                [0x20, 0x19],  // fixed header: CONNACK, remaining length 25
                [0x00],  // acknowledge flags
                [0x86],  // reason code: bad user name or password
                [0x16],  // property length 22
                [0x1F, 0x00, 0x06], "denied",  // reason string
                [0x1C, 0x00, 0x0A], "other:1883",  // server reference
            ]
        ),
    ]
}
