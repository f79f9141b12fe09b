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
import Logging
import NIOCore
import SwiftletMQTT

/// What a cloud publisher's user properties asked the broker to do with one message (DESIGN §7).
struct CloudPublishDirective {
    /// `qoslevel`: the QoS to deliver the message with, instead of the PUBLISH's.
    var qos: QoS?
    /// `mqttRealTopic` on a p2p topic: the target client, and the topic it sees instead of the p2p topic.
    var p2p: (target: String, realTopic: String)?

    /// Applies the directive to the message built from the PUBLISH.
    func apply(to message: inout RoutedMessage) {
        if let qos { message.qos = qos }
        if let p2p {
            message.p2pTargetClientID = p2p.target
            message.topic = p2p.realTopic
        }
    }
}

extension MQTTConnectionHandler {
    /// Whether this client is a backend that speaks the cloud user properties: authenticated with a `cloud` access
    /// key over MQTT 5 (3.1.1 has no user properties). Its deliveries carry the broker's annotations
    /// (``CloudUserProperties``) and take the per-message encode path; nobody else's do.
    var speaksCloudProperties: Bool {
        identity.role == .cloud && protocolVersion == .v5
    }

    /// Reads a cloud publisher's instructions (``CloudUserProperties``) off a PUBLISH: `mqttSecondTopic` extends the
    /// topic, `qoslevel` and `mqttRealTopic` go into the returned directive. The instructions are removed from what
    /// subscribers receive. Refuses the PUBLISH and returns nil if they cannot be followed.
    func takeCloudDirective(_ publish: inout PublishPacket) -> CloudPublishDirective? {
        var directive = CloudPublishDirective()
        var secondTopic: String?
        var qosLevel: String?
        var realTopic: String?
        for case .userProperty(let name, let value) in publish.properties.list {
            switch name {
            case CloudUserProperties.secondTopic: secondTopic = value
            case CloudUserProperties.qosLevel: qosLevel = value
            case CloudUserProperties.realTopic: realTopic = value
            default: continue
            }
        }
        guard secondTopic != nil || qosLevel != nil || realTopic != nil else { return directive }
        publish.properties.list.removeAll {
            if case .userProperty(let name, _) = $0 { return CloudUserProperties.isPublishInstruction(name) }
            return false
        }
        if let secondTopic, !secondTopic.isEmpty {
            // The published topic is the parent, one level; the second topic is appended below it.
            guard !publish.topic.isEmpty, !publish.topic.utf8.contains(UInt8(ascii: "/")) else {
                refusePublish(
                    publish, .topicNameInvalid,
                    "\(CloudUserProperties.secondTopic) needs a one-level parent topic, got \(publish.topic)")
                return nil
            }
            publish.topic += secondTopic.hasPrefix("/") ? secondTopic : "/" + secondTopic
        }
        if let qosLevel {
            guard let raw = UInt8(qosLevel), let qos = QoS(rawValue: raw) else {
                refusePublish(
                    publish, .implementationSpecificError, "\(CloudUserProperties.qosLevel) must be 0, 1 or 2")
                return nil
            }
            directive.qos = qos
        }
        if let realTopic {
            guard let target = P2PTopic.targetClientID(ofTopic: publish.topic) else {
                refusePublish(
                    publish, .topicNameInvalid, "\(CloudUserProperties.realTopic) applies to p2p topics only")
                return nil
            }
            if let problem = topicNameProblem(realTopic) {
                refusePublish(publish, .topicNameInvalid, "\(CloudUserProperties.realTopic) \(problem)")
                return nil
            }
            // The receiver sees the real topic: it must be one this client may publish to, never a
            // broker topic such as $SYS/tokenInvalidNotice.
            if let refusal = publishRefusal(topic: realTopic, subject: accessSubject) {
                refusePublish(publish, .notAuthorized, "\(CloudUserProperties.realTopic): \(refusal)")
                return nil
            }
            directive.p2p = (String(target), realTopic)
        }
        return directive
    }

    /// Writes one PUBLISH to a cloud subscriber: the forwarded properties plus the broker's annotations. Always its
    /// own bytes (the annotations differ by publisher), without topic aliases, which the server need not use.
    func writeCloudPublish(
        _ message: RoutedMessage,
        qos: QoS,
        retain: Bool,
        subscriptionIdentifiers: [UInt32],
        packetID: UInt16?,
        dup: Bool,
        now: NIODeadline,
        context: ChannelHandlerContext
    ) -> Bool {
        var properties = message.forwardedProperties(
            lifetime: message.remainingLifetime(now: now), subscriptionIdentifiers: subscriptionIdentifiers)
        CloudUserProperties.annotate(&properties, for: message)
        let packet = MQTTPacket.publish(
            PublishPacket(
                topic: message.topic, payload: message.payload, qos: qos, retain: retain,
                dup: dup, packetID: packetID, properties: properties))
        let size = MQTTPacketEncoder.encodedSize(packet, version: protocolVersion)
        // Never send a packet larger than the client's Maximum Packet Size [MQTT-3.1.2-24].
        guard size <= clientMaximumPacketSize else { return false }
        let payload = message.payload
        if payload.readableBytes >= Self.sharedPayloadThreshold {
            // As for any subscriber: own header, shared payload, one writev (DESIGN §4.4).
            var header = context.channel.allocator.buffer(capacity: size - payload.readableBytes)
            MQTTPacketEncoder.encodePublishHeader(
                topic: message.topic, payloadLength: payload.readableBytes, qos: qos, retain: retain,
                dup: dup, packetID: packetID, properties: properties, version: protocolVersion, into: &header)
            write(header, context: context)
            context.write(wrapOutboundOut(payload), promise: nil)
        } else {
            var buffer = context.channel.allocator.buffer(capacity: size)
            MQTTPacketEncoder.encode(packet, version: protocolVersion, into: &buffer)
            write(buffer, context: context)
        }
        needsFlush = true
        return true
    }
}
