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

/// Retained messages by topic (MQTT 5 §3.3.1.3), at most `limit` of them.
///
/// A hash by topic name: a publish replaces or clears in O(1), a subscription to an exact topic
/// looks up in O(1), and a wildcard subscription scans a snapshot of the retained topics outside
/// the lock (copying the dictionary is O(1) until someone writes). Retained messages are read on
/// subscribe, not on the publish path.
package final class RetainedStore: Sendable {
    private let messages = Mutex([String: RoutedMessage]())
    private let store: any SessionStore
    private let limit: Int

    package init(limit: Int = 100_000, store: any SessionStore = MemorySessionStore()) {
        self.limit = limit
        self.store = store
    }

    /// Stores, replaces, or (with an empty payload) clears the retained message of a topic
    /// [MQTT-3.3.1-5] [MQTT-3.3.1-6] [MQTT-3.3.1-7]. Returns false if a new topic was not stored
    /// because the store is full (the message is still delivered to current subscribers).
    @discardableResult
    package func store(_ message: RoutedMessage, now: NIODeadline) -> Bool {
        let stored: RoutedMessage? = message.payload.readableBytes == 0 ? nil : message
        return messages.withLock { messages in
            if stored != nil, messages[message.topic] == nil, messages.count >= limit {
                // Full: make room from expired messages first, else refuse the new topic.
                messages = messages.filter { !$0.value.isExpired(now: now) }
                guard messages.count < limit else { return false }
            }
            messages[message.topic] = stored
            // Inside the lock, so the store sees changes of one topic in the order they happened.
            store.retainedMessageChanged(topic: message.topic, message: stored)
            return true
        }
    }

    /// Retained messages whose topic matches `filter`, expired ones dropped [MQTT-3.3.2-5].
    package func matching(filter: String, now: NIODeadline) -> [RoutedMessage] {
        if !Topic.hasWildcard(filter) {
            let message = messages.withLock { $0[filter] }
            guard let message, !message.isExpired(now: now) else { return [] }
            return [message]
        }
        let snapshot = messages.withLock { $0 }
        return snapshot.values.filter {
            Topic.matches(filter: filter, topic: $0.topic) && !$0.isExpired(now: now)
        }
    }

    package var count: Int { messages.withLock { $0.count } }
}
