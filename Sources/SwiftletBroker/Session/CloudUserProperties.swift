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

/// The MQTT 5 user properties that carry message metadata between the broker and backends authenticated with a
/// `cloud` access key (DESIGN §7, docs/cloud-sdk.md).
///
/// Towards a cloud subscriber the broker adds ``clientID``, ``qosLevel``, ``cleanSessionFlag`` and ``secondTopic``
/// to every message. From a cloud publisher it reads ``secondTopic``, ``qosLevel`` and ``realTopic`` as instructions
/// and does not forward them. Other clients see neither.
package enum CloudUserProperties {
    /// The publisher's client ID.
    package static let clientID = "clientId"
    /// The QoS the message was published with (`"0"`, `"1"`, `"2"`); from a cloud publisher, the QoS to deliver with.
    package static let qosLevel = "qoslevel"
    /// The publisher's Clean Start / Clean Session flag, `"true"` or `"false"`.
    package static let cleanSessionFlag = "cleansessionflag"
    /// The topic below its first level, with its leading `/` (`chat/room1/x` → `/room1/x`); from a cloud publisher,
    /// the levels to append to its one-level parent topic.
    package static let secondTopic = "mqttSecondTopic"
    /// From a cloud publisher to a p2p topic `{parent}/p2p/{clientId}`: the topic the receiving client sees.
    package static let realTopic = "mqttRealTopic"

    /// Whether a user property of this name is one the broker sets towards cloud subscribers: a publisher's own
    /// property of the same name is replaced, never passed on as if the broker had said it.
    static func isBrokerAnnotation(_ name: String) -> Bool {
        name == clientID || name == qosLevel || name == cleanSessionFlag || name == secondTopic
    }

    /// Whether a user property of this name is an instruction a cloud publisher gives the broker.
    static func isPublishInstruction(_ name: String) -> Bool {
        name == secondTopic || name == qosLevel || name == realTopic
    }

    /// `topic` below its first level, with the leading `/`; nil for a one-level topic.
    package static func secondTopic(of topic: String) -> Substring? {
        guard let slash = topic.utf8.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        return topic[slash...]
    }

    /// Adds the broker's annotations for a cloud subscriber to the properties a delivery carries, replacing user
    /// properties of the same names that the publisher set.
    package static func annotate(_ properties: inout Properties, for message: RoutedMessage) {
        properties.list.removeAll {
            if case .userProperty(let name, _) = $0 { return isBrokerAnnotation(name) }
            return false
        }
        if let publisher = message.publisherClientID {
            properties.append(.userProperty(clientID, publisher))
        }
        properties.append(.userProperty(qosLevel, String(message.qos.rawValue)))
        properties.append(.userProperty(cleanSessionFlag, message.publisherCleanStart ? "true" : "false"))
        if let second = secondTopic(of: message.topic) {
            properties.append(.userProperty(secondTopic, String(second)))
        }
    }
}
