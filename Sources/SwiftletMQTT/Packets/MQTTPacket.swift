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

/// A decoded MQTT control packet of any version.
///
/// The packet structs are version-neutral: fields that a version lacks (properties, reason codes
/// in 3.1.1) are left empty by the decoder and ignored by the encoder. Packets never travel through
/// a NIO pipeline as `NIOAny`; the connection handler decodes and consumes them in place
/// (STYLE §2.1), so the size of this enum costs nothing per hop.
package enum MQTTPacket: Sendable, Hashable {
    case connect(ConnectPacket)
    case connack(ConnAckPacket)
    case publish(PublishPacket)
    case puback(AckPacket)
    case pubrec(AckPacket)
    case pubrel(AckPacket)
    case pubcomp(AckPacket)
    case subscribe(SubscribePacket)
    case suback(SubAckPacket)
    case unsubscribe(UnsubscribePacket)
    case unsuback(UnsubAckPacket)
    case pingreq
    case pingresp
    case disconnect(DisconnectPacket)
    case auth(AuthPacket)

    package var type: PacketType {
        switch self {
        case .connect: .connect
        case .connack: .connack
        case .publish: .publish
        case .puback: .puback
        case .pubrec: .pubrec
        case .pubrel: .pubrel
        case .pubcomp: .pubcomp
        case .subscribe: .subscribe
        case .suback: .suback
        case .unsubscribe: .unsubscribe
        case .unsuback: .unsuback
        case .pingreq: .pingreq
        case .pingresp: .pingresp
        case .disconnect: .disconnect
        case .auth: .auth
        }
    }
}

/// The will message carried by CONNECT (MQTT 5 §3.1.3.2).
package struct WillMessage: Sendable, Hashable {
    package var topic: String
    package var payload: ByteBuffer
    package var qos: QoS
    package var retain: Bool
    /// Will properties (MQTT 5 only): will delay interval, message expiry, content type, ...
    package var properties: Properties

    package init(topic: String, payload: ByteBuffer, qos: QoS, retain: Bool, properties: Properties = []) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.properties = properties
    }
}

/// CONNECT (MQTT 5 §3.1, MQTT 3.1.1 §3.1).
package struct ConnectPacket: Sendable, Hashable {
    package var version: ProtocolVersion
    /// "Clean session" in 3.1/3.1.1, "clean start" in 5.0.
    package var cleanStart: Bool
    /// Seconds; 0 disables keep-alive.
    package var keepAlive: UInt16
    package var clientID: String
    package var will: WillMessage?
    package var username: String?
    package var password: ByteBuffer?
    package var properties: Properties

    package init(
        version: ProtocolVersion,
        cleanStart: Bool,
        keepAlive: UInt16,
        clientID: String,
        will: WillMessage? = nil,
        username: String? = nil,
        password: ByteBuffer? = nil,
        properties: Properties = []
    ) {
        self.version = version
        self.cleanStart = cleanStart
        self.keepAlive = keepAlive
        self.clientID = clientID
        self.will = will
        self.username = username
        self.password = password
        self.properties = properties
    }
}

/// CONNACK (MQTT 5 §3.2). For 3.1/3.1.1 the encoder writes `ConnectReturnCode(reasonCode:)`.
package struct ConnAckPacket: Sendable, Hashable {
    package var sessionPresent: Bool
    package var reasonCode: ReasonCode
    package var properties: Properties

    package init(sessionPresent: Bool, reasonCode: ReasonCode, properties: Properties = []) {
        self.sessionPresent = sessionPresent
        self.reasonCode = reasonCode
        self.properties = properties
    }
}

/// PUBLISH (MQTT 5 §3.3). The payload is a slice of the read buffer, never copied by the decoder.
package struct PublishPacket: Sendable, Hashable {
    /// May be empty in MQTT 5 when a topic alias stands for it [MQTT-3.3.2-8].
    package var topic: String
    package var payload: ByteBuffer
    package var qos: QoS
    package var retain: Bool
    package var dup: Bool
    /// Present exactly when `qos > .atMostOnce` [MQTT-2.2.1-2].
    package var packetID: UInt16?
    package var properties: Properties

    package init(
        topic: String,
        payload: ByteBuffer,
        qos: QoS = .atMostOnce,
        retain: Bool = false,
        dup: Bool = false,
        packetID: UInt16? = nil,
        properties: Properties = []
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.dup = dup
        self.packetID = packetID
        self.properties = properties
    }
}

/// PUBACK, PUBREC, PUBREL and PUBCOMP share one shape (MQTT 5 §3.4-§3.7).
package struct AckPacket: Sendable, Hashable {
    package var packetID: UInt16
    /// MQTT 5 only; 3.1.1 acks carry none and decode as `.success`.
    package var reasonCode: ReasonCode
    package var properties: Properties

    package init(packetID: UInt16, reasonCode: ReasonCode = .success, properties: Properties = []) {
        self.packetID = packetID
        self.reasonCode = reasonCode
        self.properties = properties
    }
}

/// Retain handling subscription option (MQTT 5 §3.8.3.1).
package enum RetainHandling: UInt8, Sendable, Hashable {
    /// Send retained messages at the time of the subscribe.
    case sendOnSubscribe = 0
    /// Send retained messages only if the subscription does not currently exist.
    case sendOnNewSubscribe = 1
    /// Do not send retained messages.
    case doNotSend = 2
}

/// One topic filter with its options in SUBSCRIBE (MQTT 5 §3.8.3).
package struct SubscriptionRequest: Sendable, Hashable {
    package var topicFilter: String
    package var qos: QoS
    package var noLocal: Bool
    package var retainAsPublished: Bool
    package var retainHandling: RetainHandling

    package init(
        topicFilter: String,
        qos: QoS,
        noLocal: Bool = false,
        retainAsPublished: Bool = false,
        retainHandling: RetainHandling = .sendOnSubscribe
    ) {
        self.topicFilter = topicFilter
        self.qos = qos
        self.noLocal = noLocal
        self.retainAsPublished = retainAsPublished
        self.retainHandling = retainHandling
    }
}

/// SUBSCRIBE (MQTT 5 §3.8).
package struct SubscribePacket: Sendable, Hashable {
    package var packetID: UInt16
    package var subscriptions: [SubscriptionRequest]
    /// Subscription identifier and user properties (MQTT 5 only).
    package var properties: Properties

    package init(packetID: UInt16, subscriptions: [SubscriptionRequest], properties: Properties = []) {
        self.packetID = packetID
        self.subscriptions = subscriptions
        self.properties = properties
    }
}

/// SUBACK (MQTT 5 §3.9). 3.1.1 return codes are 0x00-0x02 and 0x80; the encoder maps every
/// failure code to 0x80 for 3.1.1 and 3.1.
package struct SubAckPacket: Sendable, Hashable {
    package var packetID: UInt16
    package var reasonCodes: [ReasonCode]
    package var properties: Properties

    package init(packetID: UInt16, reasonCodes: [ReasonCode], properties: Properties = []) {
        self.packetID = packetID
        self.reasonCodes = reasonCodes
        self.properties = properties
    }
}

/// UNSUBSCRIBE (MQTT 5 §3.10).
package struct UnsubscribePacket: Sendable, Hashable {
    package var packetID: UInt16
    package var topicFilters: [String]
    package var properties: Properties

    package init(packetID: UInt16, topicFilters: [String], properties: Properties = []) {
        self.packetID = packetID
        self.topicFilters = topicFilters
        self.properties = properties
    }
}

/// UNSUBACK (MQTT 5 §3.11). 3.1.1 UNSUBACK has no payload; the encoder omits the codes there.
package struct UnsubAckPacket: Sendable, Hashable {
    package var packetID: UInt16
    package var reasonCodes: [ReasonCode]
    package var properties: Properties

    package init(packetID: UInt16, reasonCodes: [ReasonCode] = [], properties: Properties = []) {
        self.packetID = packetID
        self.reasonCodes = reasonCodes
        self.properties = properties
    }
}

/// DISCONNECT (MQTT 5 §3.14). 3.1.1 DISCONNECT has no variable header.
package struct DisconnectPacket: Sendable, Hashable {
    package var reasonCode: ReasonCode
    package var properties: Properties

    package init(reasonCode: ReasonCode = .normalDisconnection, properties: Properties = []) {
        self.reasonCode = reasonCode
        self.properties = properties
    }
}

/// AUTH (MQTT 5 §3.15).
package struct AuthPacket: Sendable, Hashable {
    package var reasonCode: ReasonCode
    package var properties: Properties

    package init(reasonCode: ReasonCode = .success, properties: Properties = []) {
        self.reasonCode = reasonCode
        self.properties = properties
    }
}
