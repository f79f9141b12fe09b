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

/// An MQTT quality of service level.
public enum CloudQoS: UInt8, Sendable, Hashable {
    /// At most once (QoS 0).
    case atMostOnce = 0
    /// At least once (QoS 1).
    case atLeastOnce = 1
    /// Exactly once (QoS 2).
    case exactlyOnce = 2
}

/// One message a ``CloudClient`` consumer received.
///
/// At-least-once: a QoS 1 message is acknowledged to the broker only by ``ack()``. A message not acknowledged when
/// this client's connection ends goes to another member of its consumer group (clustering and ordered modes), so
/// process it, then call ``ack()``.
public struct CloudMessage: Sendable {
    /// The topic the message was published to.
    public var topic: String
    /// The message body.
    public var payload: ByteBuffer
    /// The QoS it was delivered with.
    public var qos: CloudQoS
    /// The publisher's client ID (`clientId` user property); nil for messages the broker made.
    public var publisherClientID: String?
    /// The QoS the publisher used (`qoslevel` user property).
    public var qosLevel: CloudQoS?
    /// The publisher's Clean Start / Clean Session flag (`cleansessionflag` user property).
    public var cleanSession: Bool?
    /// The topic below its first level, with its leading `/` (`mqttSecondTopic` user property): for
    /// `chat/room1/x`, `/room1/x`.
    public var secondTopic: String?
    /// All MQTT 5 user properties of the message, the ones above included, in order.
    public var userProperties: [(name: String, value: String)]

    private let acknowledge: @Sendable () -> Void

    init(
        topic: String, payload: ByteBuffer, qos: CloudQoS, userProperties: [(name: String, value: String)],
        acknowledge: @escaping @Sendable () -> Void
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.userProperties = userProperties
        self.acknowledge = acknowledge
        for (name, value) in userProperties {
            switch name {
            case "clientId": self.publisherClientID = value
            case "qoslevel": self.qosLevel = UInt8(value).flatMap(CloudQoS.init(rawValue:))
            case "cleansessionflag": self.cleanSession = value == "true"
            case "mqttSecondTopic": self.secondTopic = value
            default: break
            }
        }
    }

    /// The payload as UTF-8 text (invalid bytes replaced).
    public var payloadString: String { String(buffer: self.payload) }

    /// Acknowledges the message: the broker will not send it again, to this client or any other. Does nothing for
    /// QoS 0 and 2 messages (QoS 2 is acknowledged on arrival), after the first call, and if the connection that
    /// brought the message has been lost meanwhile (the broker then gives the message to another member).
    public func ack() {
        self.acknowledge()
    }
}

/// What the broker said about a message ``CloudClient`` sent.
public struct CloudSendResult: Sendable, Hashable {
    /// Whether any subscriber (or, for P2P, the target client's session) got the message: `false` when the broker
    /// answered 0x10 (no matching subscribers), nil for QoS 0, which has no acknowledgement.
    public var reachedSubscribers: Bool?

    public init(reachedSubscribers: Bool?) {
        self.reachedSubscribers = reachedSubscribers
    }
}

/// How a consumer shares a parent topic with the other consumers of its group.
public enum CloudConsumeMode: Sendable, Hashable {
    /// Each message goes to one member of the group, in turn: `$share/{group}/{parentTopic}/#`.
    case clustering
    /// Every member gets every message: `{parentTopic}/#`; the group is not used.
    case broadcasting
    /// Like ``clustering``, but all messages of one topic go to the same member, in order, while membership is
    /// stable: `$share/{group}/{parentTopic}/#` with the SUBSCRIBE user property `share-strategy: hash-topic`.
    case ordered
}
