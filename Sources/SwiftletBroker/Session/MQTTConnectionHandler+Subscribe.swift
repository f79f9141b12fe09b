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
    /// SUBSCRIBE (MQTT 5 §3.8.4): one reason code per filter, in order [MQTT-3.8.4-6], then the
    /// retained messages of the new subscriptions.
    func subscribeReceived(_ subscribe: SubscribePacket, session: SessionHandle) {
        let subscriptionID = protocolVersion == .v5 ? subscribe.properties.subscriptionIdentifiers.first : nil
        // For the shared filters of this SUBSCRIBE; nil for a value the broker does not know.
        let shareStrategy = protocolVersion == .v5 ? ShareStrategy.requested(by: subscribe.properties) : .roundRobin
        var reasonCodes: [ReasonCode] = []
        reasonCodes.reserveCapacity(subscribe.subscriptions.count)
        var retainedToSend: [(message: RoutedMessage, qos: QoS)] = []
        var refusals: [String] = []
        for request in subscribe.subscriptions {
            guard
                let code = addSubscription(
                    request, subscriptionID: subscriptionID, shareStrategy: shareStrategy, session: session,
                    retained: &retainedToSend, refusals: &refusals)
            else { return }  // the connection is closing
            reasonCodes.append(code)
        }
        // MQTT 5 clients learn why a filter was refused, unless they asked not to [MQTT-3.1.2-29].
        let properties = refusals.isEmpty ? Properties() : reasonProperties(refusals.joined(separator: "; "))
        writePacket(.suback(SubAckPacket(packetID: subscribe.packetID, reasonCodes: reasonCodes, properties: properties)))

        // Retained messages go out with RETAIN set [MQTT-3.3.1-9], after SUBACK.
        let now = session.eventLoop.now
        let identifiers = subscriptionID.map { [$0] } ?? []
        for (message, qos) in retainedToSend {
            var cache = PublishEncodingCache()
            session.deliver(message, qos: qos, retain: true, subscriptionIdentifiers: identifiers, now: now, cache: &cache)
        }
        if identity.grants != nil,
            subscribe.subscriptions.contains(where: { $0.topicFilter == TokenTopics.expireNotice })
        {
            // A notice that fell due before the client subscribed (at once after CONNACK).
            sendExpireNoticeIfDue()
        }
    }

    /// Adds one subscription. Returns its SUBACK reason code, or nil if the request is a protocol
    /// violation that closed the connection.
    private func addSubscription(
        _ request: SubscriptionRequest,
        subscriptionID: UInt32?,
        shareStrategy: ShareStrategy?,
        session: SessionHandle,
        retained: inout [(message: RoutedMessage, qos: QoS)],
        refusals: inout [String]
    ) -> ReasonCode? {
        let configuration = broker.configuration
        let filter = request.topicFilter
        let matchFilter: String
        let isShared: Bool
        switch SharedSubscriptionFilter.parse(filter) {
        case .invalid:
            return refuseSubscription(filter, .topicFilterInvalid, "invalid topic filter", &refusals)
        case .plain:
            matchFilter = filter
            isShared = false
        case .shared(_, let inner):
            matchFilter = inner
            isShared = true
            if request.noLocal {
                // [MQTT-3.8.3-4]
                protocolViolation(.protocolError, "no-local on a shared subscription")
                return nil
            }
            guard shareStrategy != nil else {
                return refuseSubscription(
                    filter, .implementationSpecificError,
                    "unknown \(ShareStrategy.userPropertyName): use round-robin or hash-topic", &refusals)
            }
        }
        guard Topic.isValidFilter(matchFilter) else {
            return refuseSubscription(filter, .topicFilterInvalid, "invalid topic filter", &refusals)  // [MQTT-4.7.1-1]
        }
        guard matchFilter.utf8.count <= configuration.maxTopicLength,
            Topic.levelCount(matchFilter) <= configuration.maxTopicLevels
        else {
            return refuseSubscription(filter, .topicFilterInvalid, "topic filter over the length or level limit", &refusals)
        }
        if let refusal = subscribeRefusal(filter: matchFilter) {
            return refuseSubscription(filter, .notAuthorized, refusal, &refusals)
        }
        let subscriptions = session.subscriptions
        if subscriptions[filter] == nil, subscriptions.count >= configuration.maxSubscriptionsPerClient {
            return refuseSubscription(filter, .quotaExceeded, "too many subscriptions", &refusals)
        }

        let options = SubscriptionOptions(
            qos: request.qos,
            noLocal: request.noLocal,
            retainAsPublished: request.retainAsPublished,
            retainHandling: request.retainHandling.rawValue,
            subscriptionIdentifier: subscriptionID,
            shareStrategy: isShared ? shareStrategy ?? .roundRobin : .roundRobin)
        // A repeated filter replaces the old subscription [MQTT-3.8.4-3].
        let existed = broker.subscribe(session, filter: filter, options: options)
        session.recordSubscription(filter, options: options)

        // Retained messages are not sent to shared subscriptions (MQTT 5 §4.8.2).
        let sendRetained: Bool
        switch request.retainHandling {
        case .sendOnSubscribe: sendRetained = !isShared  // [MQTT-3.3.1-9]
        case .sendOnNewSubscribe: sendRetained = !isShared && !existed  // [MQTT-3.3.1-10]
        case .doNotSend: sendRetained = false  // [MQTT-3.3.1-11]
        }
        if sendRetained {
            for message in broker.retained.matching(filter: matchFilter, now: session.eventLoop.now) {
                retained.append((message, min(message.qos, request.qos)))
            }
        }
        // The server grants the QoS asked for; it supports all three [MQTT-3.8.4-8].
        return ReasonCode(request.qos.rawValue)
    }

    private func refuseSubscription(
        _ filter: String, _ reason: ReasonCode, _ why: String, _ refusals: inout [String]
    ) -> ReasonCode {
        broker.stats.increment(.subscriptionsRejected)
        refusals.append("\(filter): \(why)")
        logger.info("subscription refused", metadata: ["filter": "\(filter)", "reason": "\(reason)"])
        return reason
    }

    /// UNSUBSCRIBE (MQTT 5 §3.10.4).
    func unsubscribeReceived(_ unsubscribe: UnsubscribePacket, session: SessionHandle) {
        var reasonCodes: [ReasonCode] = []
        reasonCodes.reserveCapacity(unsubscribe.topicFilters.count)
        for filter in unsubscribe.topicFilters {
            if case .invalid = SharedSubscriptionFilter.parse(filter) {
                // MQTT 5 §3.11.3: a filter that could never have been subscribed.
                reasonCodes.append(.topicFilterInvalid)
                continue
            }
            let existed = session.removeSubscription(filter)
            if existed { broker.unsubscribe(session, filter: filter) }
            reasonCodes.append(existed ? .success : .noSubscriptionExisted)
        }
        // UNSUBACK even when nothing matched [MQTT-3.10.4-5].
        writePacket(.unsuback(UnsubAckPacket(packetID: unsubscribe.packetID, reasonCodes: reasonCodes)))
    }
}
