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

/// Who may publish and subscribe where (DESIGN §5–§7), in one place for PUBLISH, wills and
/// SUBSCRIBE: the broker's own rules first, then the client's token grants, then the ACL rules.
/// Each returns why the action is refused (0x87 / not authorized), or nil.
extension MQTTConnectionHandler {
    /// - Parameter subject: the client as ACL rules see it; at CONNECT, before its client ID is
    ///   this connection's, the will is checked for the ID being connected.
    func publishRefusal(topic: String, subject: AccessSubject) -> String? {
        if Self.isBrokerTopic(topic) {
            // $SYS topics are the broker's own (DESIGN §7).
            return "clients may not publish to $SYS topics"
        }
        if let grants = identity.grants, !grants.allowsPublish(to: topic) {
            // A token client publishes only where a write token reaches (DESIGN §6).
            return "topic not granted by the token"
        }
        let access = broker.configuration.accessControl
        if !access.isEmpty, !access.allowsPublish(subject, topic: topic) {
            return "publishing to this topic is not allowed"
        }
        return nil
    }

    /// - Parameter filter: the topic filter, without a `$share/{group}/` prefix.
    func subscribeRefusal(filter: String) -> String? {
        if TokenTopics.isNotice(filter) {
            // Any client may hear its own token notices: the broker writes them to the one
            // connection they concern and never routes them (MQTTConnectionHandler+Tokens.swift).
            return nil
        }
        if Self.isBrokerTopic(filter), identity.role != .cloud {
            // Only privileged (cloud) clients read $SYS (DESIGN §7).
            return "$SYS topics are reserved"
        }
        if let grants = identity.grants, !grants.allowsSubscribe(to: filter) {
            // A token client subscribes only within what a read token covers (DESIGN §6).
            return "topic filter not granted by the token"
        }
        let access = broker.configuration.accessControl
        if !access.isEmpty, !access.allowsSubscribe(accessSubject, filter: filter) {
            // Retained messages reach only subscriptions that pass, so this covers them too.
            return "subscribing to this filter is not allowed"
        }
        if P2PTopic.isForeignP2PFilter(filter, subscriberClientID: clientID) {
            // No client may subscribe to another client's p2p topic (DESIGN §5).
            return "another client's p2p topic"
        }
        return nil
    }
}
