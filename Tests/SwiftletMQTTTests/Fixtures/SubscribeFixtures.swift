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

// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK: MQTT 5 §3.8-§3.11, MQTT 3.1.1 §3.8-§3.11.

extension PacketFixture {
    static let subscribe: [PacketFixture] = [
        PacketFixture(
            "SUBSCRIBE two filters",
            .v3_1_1,
            packet: .subscribe(
                SubscribePacket(
                    packetID: 10,
                    subscriptions: [
                        SubscriptionRequest(topicFilter: "a/+", qos: .atLeastOnce),
                        SubscriptionRequest(topicFilter: "b/#", qos: .exactlyOnce),
                    ]
                )
            ),
            wire: [
                [0x82, 0x0E],  // fixed header: SUBSCRIBE (flags 0010), remaining length 14
                [0x00, 0x0A],  // packet identifier 10
                [0x00, 0x03], "a/+", [0x01],  // topic filter, requested QoS 1
                [0x00, 0x03], "b/#", [0x02],  // topic filter, requested QoS 2
            ]
        ),
        PacketFixture(
            "SUBSCRIBE MQTT 5 options are dropped",
            .v3_1_1,
            .encodeOnly,
            packet: .subscribe(
                SubscribePacket(
                    packetID: 1,
                    subscriptions: [
                        SubscriptionRequest(
                            topicFilter: "a",
                            qos: .atLeastOnce,
                            noLocal: true,
                            retainAsPublished: true,
                            retainHandling: .doNotSend
                        )
                    ],
                    properties: [.subscriptionIdentifier(5)]
                )
            ),
            wire: [
                [0x82, 0x06],  // fixed header: SUBSCRIBE (flags 0010), remaining length 6
                [0x00, 0x01],  // packet identifier 1
                [0x00, 0x01], "a", [0x01],  // topic filter, requested QoS 1 and nothing else
            ]
        ),
        PacketFixture(
            "SUBSCRIBE",
            .v3_1,
            packet: .subscribe(
                SubscribePacket(packetID: 1, subscriptions: [SubscriptionRequest(topicFilter: "x", qos: .atMostOnce)])
            ),
            wire: [
                [0x82, 0x06],  // fixed header: SUBSCRIBE (QoS 1 in 3.1), remaining length 6
                [0x00, 0x01],  // packet identifier 1
                [0x00, 0x01], "x", [0x00],  // topic filter, requested QoS 0
            ]
        ),
        PacketFixture(
            "SUBSCRIBE retried with DUP",
            .v3_1,
            .decodeOnly,
            packet: .subscribe(
                SubscribePacket(packetID: 1, subscriptions: [SubscriptionRequest(topicFilter: "x", qos: .atMostOnce)])
            ),
            wire: [
                [0x8A, 0x06],  // fixed header: SUBSCRIBE dup (3.1 marked retries so), remaining length 6
                [0x00, 0x01],  // packet identifier 1
                [0x00, 0x01], "x", [0x00],  // topic filter, requested QoS 0
            ]
        ),
        PacketFixture(
            "SUBSCRIBE subscription identifier, options, shared subscription",
            .v5,
            packet: .subscribe(
                SubscribePacket(
                    packetID: 0x0102,
                    subscriptions: [
                        SubscriptionRequest(
                            topicFilter: "sport/#",
                            qos: .exactlyOnce,
                            noLocal: true,
                            retainAsPublished: true,
                            retainHandling: .doNotSend
                        ),
                        SubscriptionRequest(
                            topicFilter: "$share/g1/live/+",
                            qos: .atLeastOnce,
                            retainHandling: .sendOnNewSubscribe
                        ),
                        SubscriptionRequest(topicFilter: "x", qos: .atMostOnce),
                    ],
                    properties: [.subscriptionIdentifier(300), .userProperty("k", "v")]
                )
            ),
            wire: [
                [0x82, 0x2E],  // fixed header: SUBSCRIBE (flags 0010), remaining length 46
                [0x01, 0x02],  // packet identifier 258
                [0x0A],  // property length 10
                [0x0B, 0xAC, 0x02],  // subscription identifier 300
                [0x26, 0x00, 0x01], "k", [0x00, 0x01], "v",  // user property k=v
                [0x00, 0x07], "sport/#",  // topic filter
                [0x2E],  // options: retain handling 2, retain as published, no local, QoS 2
                [0x00, 0x10], "$share/g1/live/+",  // topic filter: shared subscription
                [0x11],  // options: retain handling 1, QoS 1
                [0x00, 0x01], "x",  // topic filter
                [0x00],  // options: QoS 0
            ]
        ),
    ]

    static let suback: [PacketFixture] = [
        PacketFixture(
            "SUBACK granted QoS 1 and a failure",
            .v3_1_1,
            packet: .suback(SubAckPacket(packetID: 10, reasonCodes: [.grantedQoS1, .unspecifiedError])),
            wire: [
                [0x90, 0x04],  // fixed header: SUBACK, remaining length 4
                [0x00, 0x0A],  // packet identifier 10
                [0x01],  // return code: granted QoS 1
                [0x80],  // return code: failure
            ]
        ),
        PacketFixture(
            "SUBACK every MQTT 5 failure becomes 0x80",
            .v3_1_1,
            .encodeOnly,
            packet: .suback(
                SubAckPacket(
                    packetID: 11,
                    reasonCodes: [.grantedQoS2, .topicFilterInvalid, .quotaExceeded],
                    properties: [.reasonString("x")]
                )
            ),
            wire: [
                [0x90, 0x05],  // fixed header: SUBACK, remaining length 5
                [0x00, 0x0B],  // packet identifier 11
                [0x02],  // return code: granted QoS 2
                [0x80],  // return code: failure (was 0x8F topic filter invalid)
                [0x80],  // return code: failure (was 0x97 quota exceeded)
            ]
        ),
        PacketFixture(
            "SUBACK granted QoS 0",
            .v3_1,
            packet: .suback(SubAckPacket(packetID: 1, reasonCodes: [.grantedQoS0])),
            wire: [
                [0x90, 0x03],  // fixed header: SUBACK, remaining length 3
                [0x00, 0x01],  // packet identifier 1
                [0x00],  // return code: granted QoS 0
            ]
        ),
        PacketFixture(
            "SUBACK granted and refused, reason string",
            .v5,
            packet: .suback(
                SubAckPacket(
                    packetID: 0x0102,
                    reasonCodes: [.grantedQoS2, .grantedQoS1, .topicFilterInvalid, .wildcardSubscriptionsNotSupported],
                    properties: [.reasonString("partial")]
                )
            ),
            wire: [
                [0x90, 0x11],  // fixed header: SUBACK, remaining length 17
                [0x01, 0x02],  // packet identifier 258
                [0x0A],  // property length 10
                [0x1F, 0x00, 0x07], "partial",  // reason string
                [0x02],  // reason code: granted QoS 2
                [0x01],  // reason code: granted QoS 1
                [0x8F],  // reason code: topic filter invalid
                [0xA2],  // reason code: wildcard subscriptions not supported
            ]
        ),
    ]

    static let unsubscribe: [PacketFixture] = [
        PacketFixture(
            "UNSUBSCRIBE two filters",
            .v3_1_1,
            packet: .unsubscribe(UnsubscribePacket(packetID: 11, topicFilters: ["a/+", "b"])),
            wire: [
                [0xA2, 0x0A],  // fixed header: UNSUBSCRIBE (flags 0010), remaining length 10
                [0x00, 0x0B],  // packet identifier 11
                [0x00, 0x03], "a/+",  // topic filter
                [0x00, 0x01], "b",  // topic filter
            ]
        ),
        PacketFixture(
            "UNSUBSCRIBE",
            .v3_1,
            packet: .unsubscribe(UnsubscribePacket(packetID: 2, topicFilters: ["x"])),
            wire: [
                [0xA2, 0x05],  // fixed header: UNSUBSCRIBE (QoS 1 in 3.1), remaining length 5
                [0x00, 0x02],  // packet identifier 2
                [0x00, 0x01], "x",  // topic filter
            ]
        ),
        PacketFixture(
            "UNSUBSCRIBE user property, shared subscription",
            .v5,
            packet: .unsubscribe(
                UnsubscribePacket(
                    packetID: 12,
                    topicFilters: ["$share/g/t", "#"],
                    properties: [.userProperty("k", "v")]
                )
            ),
            wire: [
                [0xA2, 0x19],  // fixed header: UNSUBSCRIBE (flags 0010), remaining length 25
                [0x00, 0x0C],  // packet identifier 12
                [0x07],  // property length 7
                [0x26, 0x00, 0x01], "k", [0x00, 0x01], "v",  // user property k=v
                [0x00, 0x0A], "$share/g/t",  // topic filter: shared subscription
                [0x00, 0x01], "#",  // topic filter
            ]
        ),
    ]

    static let unsuback: [PacketFixture] = [
        PacketFixture(
            "UNSUBACK",
            .v3_1_1,
            packet: .unsuback(UnsubAckPacket(packetID: 11)),
            wire: [
                [0xB0, 0x02],  // fixed header: UNSUBACK, remaining length 2
                [0x00, 0x0B],  // packet identifier 11; no payload before MQTT 5
            ]
        ),
        PacketFixture(
            "UNSUBACK reason codes are dropped",
            .v3_1_1,
            .encodeOnly,
            packet: .unsuback(UnsubAckPacket(packetID: 11, reasonCodes: [.noSubscriptionExisted])),
            wire: [
                [0xB0, 0x02],  // fixed header: UNSUBACK, remaining length 2
                [0x00, 0x0B],  // packet identifier 11
            ]
        ),
        PacketFixture(
            "UNSUBACK",
            .v3_1,
            packet: .unsuback(UnsubAckPacket(packetID: 2)),
            wire: [
                [0xB0, 0x02],  // fixed header: UNSUBACK, remaining length 2
                [0x00, 0x02],  // packet identifier 2
            ]
        ),
        PacketFixture(
            "UNSUBACK success and no subscription existed",
            .v5,
            packet: .unsuback(UnsubAckPacket(packetID: 12, reasonCodes: [.success, .noSubscriptionExisted])),
            wire: [
                [0xB0, 0x05],  // fixed header: UNSUBACK, remaining length 5
                [0x00, 0x0C],  // packet identifier 12
                [0x00],  // property length 0
                [0x00],  // reason code: success
                [0x11],  // reason code: no subscription existed
            ]
        ),
        PacketFixture(
            "UNSUBACK not authorized, reason string",
            .v5,
            packet: .unsuback(
                UnsubAckPacket(packetID: 13, reasonCodes: [.notAuthorized], properties: [.reasonString("no")])
            ),
            wire: [
                [0xB0, 0x09],  // fixed header: UNSUBACK, remaining length 9
                [0x00, 0x0D],  // packet identifier 13
                [0x05],  // property length 5
                [0x1F, 0x00, 0x02], "no",  // reason string
                [0x87],  // reason code: not authorized
            ]
        ),
    ]
}
