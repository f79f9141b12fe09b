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

extension MQTTConnectionHandler {
    /// Why a topic name cannot be used, or nil if it can: the broker's length and level limits
    /// on top of the codec's syntax checks.
    func topicNameProblem(_ topic: String) -> String? {
        let configuration = broker.configuration
        if topic.utf8.count > configuration.maxTopicLength { return "longer than \(configuration.maxTopicLength) bytes" }
        if Topic.levelCount(topic) > configuration.maxTopicLevels {
            return "more than \(configuration.maxTopicLevels) levels"
        }
        if !Topic.isValidName(topic) { return "not a valid topic name" }
        return nil
    }

    /// An inbound PUBLISH (MQTT 5 §3.3.4), on the publisher's loop.
    func publishReceived(_ received: PublishPacket, session: SessionHandle) {
        var publish = received
        let configuration = broker.configuration

        if protocolVersion == .v5, let alias = publish.properties.topicAlias {
            // 0 and values above our Topic Alias Maximum are invalid [MQTT-3.3.2-8] [MQTT-3.3.2-9].
            guard alias != 0, alias <= configuration.topicAliasMaximum else {
                protocolViolation(.topicAliasInvalid, "topic alias \(alias) out of range")
                return
            }
            if publish.topic.isEmpty {
                guard let topic = inboundAliases[alias] else {
                    // An alias must be set before it is used alone [MQTT-3.3.2-12].
                    protocolViolation(.protocolError, "topic alias \(alias) was never set")
                    return
                }
                publish.topic = topic
            } else {
                inboundAliases[alias] = publish.topic
            }
        }

        if identity.grants != nil, publish.topic == TokenTopics.upload {
            // A token client renews its tokens; the broker consumes the message (docs/authentication.md).
            uploadTokenReceived(publish, session: session)
            return
        }

        var cloudDirective: CloudPublishDirective?
        if speaksCloudProperties {
            // A backend's instructions (DESIGN §7): the topic they lead to is checked like any other below.
            guard let directive = takeCloudDirective(&publish) else { return }
            cloudDirective = directive
        }

        if let problem = topicNameProblem(publish.topic) {
            refusePublish(publish, .topicNameInvalid, "topic \(problem)")
            return
        }
        if let refusal = publishRefusal(topic: publish.topic, subject: accessSubject) {
            refusePublish(publish, .notAuthorized, refusal)
            return
        }
        if protocolVersion == .v5, publish.properties.payloadFormatIndicator == 1,
            !Self.isValidUTF8(publish.payload)
        {
            // The payload claims to be UTF-8 and is not (MQTT 5 §3.3.2.3.2).
            refusePublish(publish, .payloadFormatInvalid, "payload is not valid UTF-8")
            return
        }

        if broker.rooms.hasClientRateLimits, !admitByClientRate(publish, now: session.eventLoop.now) { return }

        var message = RoutedMessage(publish: publish, receivedAt: session.eventLoop.now, publisherClientID: clientID)
        message.publisherCleanStart = acceptance?.cleanStart ?? false
        cloudDirective?.apply(to: &message)
        switch publish.qos {
        case .atMostOnce:
            broker.route(message, from: session, now: session.eventLoop.now)
        case .atLeastOnce:
            let delivered = broker.route(message, from: session, now: session.eventLoop.now)
            // PUBACK after the message is handed to its subscribers' queues [MQTT-4.3.2-4].
            writePacket(.puback(AckPacket(packetID: publish.packetID ?? 0, reasonCode: successCode(delivered))))
        case .exactlyOnce:
            let packetID = publish.packetID ?? 0
            var delivered = 1
            if !session.hasReceivedQoS2(packetID) {
                // A retransmission of an identifier already held does not count again.
                if session.inboundQoS2Count >= configuration.maxInflight, protocolVersion == .v5 {
                    // More unacknowledged QoS 2 messages than our Receive Maximum (MQTT 5 §3.3.4, §4.9).
                    protocolViolation(.receiveMaximumExceeded, "receive maximum exceeded")
                    return
                }
                _ = session.receivedQoS2(packetID)
                delivered = broker.route(message, from: session, now: session.eventLoop.now)
            }
            // A retransmission (DUP) of an identifier not yet released is acknowledged again but
            // not routed again [MQTT-4.3.3-10].
            writePacket(.pubrec(AckPacket(packetID: packetID, reasonCode: successCode(delivered))))
        }
    }

    /// Applies the room policy's publish rate per client (DESIGN §4.5). Returns false if the
    /// message was refused: QoS 0 is dropped and counted, MQTT 5 QoS 1/2 gets 0x97 (quota
    /// exceeded), and an MQTT 3.1.1 QoS 1/2 publisher is disconnected, since 3.1.1 cannot refuse a
    /// message and an acknowledged message is never dropped [MQTT-3.3.5-2].
    private func admitByClientRate(_ publish: PublishPacket, now: NIODeadline) -> Bool {
        guard let policy = broker.rooms.policy(forTopic: publish.topic), let rate = policy.clientRateLimit else {
            return true
        }
        var limiter = publishLimiters[policy.filter] ?? RateLimiter(rate: rate, now: now)
        let admitted = limiter.tryAcquire(now: now)
        publishLimiters[policy.filter] = limiter
        guard !admitted else { return true }
        broker.stats.increment(.messagesDroppedClientRate)
        if publish.qos == .atMostOnce {
            // A flood of comments must not become a flood of log lines.
            logger.debug("PUBLISH over the client rate limit dropped", metadata: ["topic": "\(publish.topic)"])
            return false
        }
        refusePublish(publish, .quotaExceeded, "more than \(rate) messages per second into \(policy.filter)")
        return false
    }

    /// 0x10 tells an MQTT 5 publisher nobody received it (MQTT 5 §3.4.2.1); 3.1.1 acks have no code.
    private func successCode(_ delivered: Int) -> ReasonCode {
        delivered == 0 && protocolVersion == .v5 ? .noMatchingSubscribers : .success
    }

    /// Refuses a PUBLISH: MQTT 5 QoS 1/2 get a negative acknowledgement; MQTT 5 QoS 0 cannot be
    /// answered, so it is dropped with a log line; MQTT 3.1.1 has no negative acknowledgement and
    /// the server either acknowledges and drops or closes [MQTT-3.3.5-2]: it acknowledges for
    /// authorization and closes for invalid topics.
    func refusePublish(_ publish: PublishPacket, _ reason: ReasonCode, _ message: String) {
        broker.stats.increment(.publishesRejected)
        logger.info("PUBLISH refused", metadata: ["topic": "\(publish.topic)", "reason": "\(reason)", "error": "\(message)"])
        let packetID = publish.packetID ?? 0
        if protocolVersion == .v5 {
            switch publish.qos {
            case .atMostOnce:
                if reason == .topicNameInvalid { protocolViolation(reason, message) }
            case .atLeastOnce:
                writePacket(.puback(AckPacket(packetID: packetID, reasonCode: reason, properties: reasonProperties(message))))
            case .exactlyOnce:
                writePacket(.pubrec(AckPacket(packetID: packetID, reasonCode: reason, properties: reasonProperties(message))))
            }
            return
        }
        guard reason == .notAuthorized else {
            // Invalid topics and rate refusals close a 3.1.1 connection.
            protocolViolation(reason, message)
            return
        }
        switch publish.qos {
        case .atMostOnce: break
        case .atLeastOnce: writePacket(.puback(AckPacket(packetID: packetID)))
        case .exactlyOnce:
            // Record the identifier so that PUBREL completes normally.
            _ = session?.receivedQoS2(packetID)
            writePacket(.pubrec(AckPacket(packetID: packetID)))
        }
    }

    /// \$SYS topics are the broker's own: clients may not publish there, directly or by will
    /// (DESIGN §7).
    static func isBrokerTopic(_ topic: String) -> Bool {
        topic == "$SYS" || topic.hasPrefix("$SYS/")
    }

    /// A reason string, when the client did not opt out of them [MQTT-3.1.2-29]. Reason strings
    /// can quote client input (filters, topics), so they are cut to a length that always encodes.
    func reasonProperties(_ message: String) -> Properties {
        sendReasonStrings ? [.reasonString(Self.truncated(message))] : []
    }

    /// The longest reason string sent, in UTF-8 bytes.
    static let maxReasonStringLength = 256

    static func truncated(_ message: String) -> String {
        guard message.utf8.count > maxReasonStringLength else { return message }
        var result = ""
        var length = 0
        for character in message {
            let size = character.utf8.count
            guard length + size <= maxReasonStringLength - 3 else { break }
            result.append(character)
            length += size
        }
        return result + "..."
    }

    static func isValidUTF8(_ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { bytes in
            String(validating: bytes, as: UTF8.self) != nil
        }
    }
}
