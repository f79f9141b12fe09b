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
import Synchronization

/// Retained messages by topic (MQTT 5 §3.3.1.3).
///
/// A hash by topic name: a publish replaces or clears in O(1), a subscription to an exact topic
/// looks up in O(1), and a wildcard subscription scans the retained topics once. Retained
/// messages are read on subscribe, not on the publish path.
package final class RetainedStore: Sendable {
    private let messages = Mutex([String: RoutedMessage]())
    private let store: any SessionStore

    package init(store: any SessionStore = MemorySessionStore()) {
        self.store = store
    }

    /// Stores, replaces, or (with an empty payload) clears the retained message of a topic
    /// [MQTT-3.3.1-5] [MQTT-3.3.1-6] [MQTT-3.3.1-7].
    package func store(_ message: RoutedMessage) {
        let stored: RoutedMessage? = message.payload.readableBytes == 0 ? nil : message
        messages.withLock { messages in
            messages[message.topic] = stored
            // Inside the lock, so the store sees changes of one topic in the order they happened.
            store.retainedMessageChanged(topic: message.topic, message: stored)
        }
    }

    /// Retained messages whose topic matches `filter`, expired ones dropped [MQTT-3.3.2-5].
    package func matching(filter: String, now: NIODeadline) -> [RoutedMessage] {
        messages.withLock { messages in
            if !Topic.hasWildcard(filter) {
                guard let message = messages[filter] else { return [] }
                if message.isExpired(now: now) {
                    messages[filter] = nil
                    return []
                }
                return [message]
            }
            var result: [RoutedMessage] = []
            var expired: [String] = []
            for (topic, message) in messages where Topic.matches(filter: filter, topic: topic) {
                if message.isExpired(now: now) {
                    expired.append(topic)
                } else {
                    result.append(message)
                }
            }
            for topic in expired { messages[topic] = nil }
            return result
        }
    }

    package var count: Int { messages.withLock { $0.count } }
}
