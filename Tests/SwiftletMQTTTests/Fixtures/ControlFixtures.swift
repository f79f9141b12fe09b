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

// PINGREQ, PINGRESP, DISCONNECT, AUTH: MQTT 5 §3.12-§3.15, MQTT 3.1.1 §3.12-§3.14.

extension PacketFixture {
    static let control: [PacketFixture] =
        ProtocolVersion.allVersions.flatMap { version in
            [
                PacketFixture(
                    "PINGREQ",
                    version,
                    packet: .pingreq,
                    wire: [
                        [0xC0, 0x00]  // fixed header: PINGREQ, remaining length 0
                    ]
                ),
                PacketFixture(
                    "PINGRESP",
                    version,
                    packet: .pingresp,
                    wire: [
                        [0xD0, 0x00]  // fixed header: PINGRESP, remaining length 0
                    ]
                ),
                PacketFixture(
                    "DISCONNECT",
                    version,
                    packet: .disconnect(DisconnectPacket()),
                    wire: [
                        [0xE0, 0x00]  // fixed header: DISCONNECT, remaining length 0
                    ]
                ),
            ]
        } + [
            PacketFixture(
                "DISCONNECT reason code and properties are dropped",
                .v3_1_1,
                .encodeOnly,
                packet: .disconnect(DisconnectPacket(reasonCode: .sessionTakenOver, properties: [.reasonString("x")])),
                wire: [
                    [0xE0, 0x00]  // fixed header: DISCONNECT, remaining length 0
                ]
            ),
            PacketFixture(
                "DISCONNECT with will message, property length left out",
                .v5,
                packet: .disconnect(DisconnectPacket(reasonCode: .disconnectWithWillMessage)),
                wire: [
                    [0xE0, 0x01],  // fixed header: DISCONNECT, remaining length 1
                    [0x04],  // reason code: disconnect with will message
                ]
            ),
            PacketFixture(
                "DISCONNECT normal, written out with an empty property list",
                .v5,
                .decodeOnly,
                packet: .disconnect(DisconnectPacket()),
                wire: [
                    [0xE0, 0x02],  // fixed header: DISCONNECT, remaining length 2
                    [0x00],  // reason code: normal disconnection
                    [0x00],  // property length 0
                ]
            ),
            PacketFixture(
                "DISCONNECT use another server, every DISCONNECT property",
                .v5,
                packet: .disconnect(
                    DisconnectPacket(
                        reasonCode: .useAnotherServer,
                        properties: [
                            .serverReference("b:1883"),
                            .reasonString("moved"),
                            .sessionExpiryInterval(0),
                            .userProperty("k", "v"),
                        ]
                    )
                ),
                wire: [
                    [0xE0, 0x1F],  // fixed header: DISCONNECT, remaining length 31
                    [0x9C],  // reason code: use another server
                    [0x1D],  // property length 29
                    [0x1C, 0x00, 0x06], "b:1883",  // server reference
                    [0x1F, 0x00, 0x05], "moved",  // reason string
                    [0x11, 0x00, 0x00, 0x00, 0x00],  // session expiry interval 0
                    [0x26, 0x00, 0x01], "k", [0x00, 0x01], "v",  // user property k=v
                ]
            ),
            PacketFixture(
                "AUTH success, reason code and properties left out",
                .v5,
                packet: .auth(AuthPacket()),
                wire: [
                    [0xF0, 0x00]  // fixed header: AUTH, remaining length 0
                ]
            ),
            PacketFixture(
                "AUTH continue authentication",
                .v5,
                packet: .auth(
                    AuthPacket(
                        reasonCode: .continueAuthentication,
                        properties: [
                            .authenticationMethod("SCRAM-SHA-1"),
                            .authenticationData(ByteBuffer(bytes: [0x01, 0x02, 0x03, 0x04])),
                            .reasonString("step"),
                        ]
                    )
                ),
                wire: [
                    [0xF0, 0x1E],  // fixed header: AUTH, remaining length 30
                    [0x18],  // reason code: continue authentication
                    [0x1C],  // property length 28
                    [0x15, 0x00, 0x0B], "SCRAM-SHA-1",  // authentication method
                    [0x16, 0x00, 0x04, 0x01, 0x02, 0x03, 0x04],  // authentication data
                    [0x1F, 0x00, 0x04], "step",  // reason string
                ]
            ),
            PacketFixture(
                "AUTH re-authenticate, property length left out",
                .v5,
                .decodeOnly,
                packet: .auth(AuthPacket(reasonCode: .reAuthenticate)),
                wire: [
                    [0xF0, 0x01],  // fixed header: AUTH, remaining length 1
                    [0x19],  // reason code: re-authenticate
                ]
            ),
        ]

    /// Every fixture, every packet type of every version.
    static let all: [PacketFixture] =
        connect + connack + publish + acknowledgements + subscribe + suback + unsubscribe + unsuback + control
}

extension ProtocolVersion {
    static let allVersions: [ProtocolVersion] = [.v3_1, .v3_1_1, .v5]
}
