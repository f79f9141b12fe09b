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
/// Where the broker writes what must outlive the process (DESIGN §9): persistent sessions, their
/// subscriptions, and retained messages.
///
/// The broker's live state stays in memory, on each session's loop; a store is written through,
/// never read on the publish path. Calls come from any event loop and must not block it: an
/// implementation queues the change and applies it on its own thread, in order per client ID.
///
/// > Note: Queued and inflight QoS 1/2 messages and the restore at start-up are not part of the
/// > protocol yet; they arrive with the SQLite store (`SwiftletStore`), together with the stable
/// > message identities they need.
package protocol SessionStore: Sendable {
    /// A persistent session (expiry > 0) was opened or resumed with this expiry interval.
    func sessionOpened(clientID: String, expiryInterval: UInt32)
    /// A persistent session ended (expired, cleaned, or discarded by a clean-start takeover).
    func sessionEnded(clientID: String)
    /// A persistent session added or replaced a subscription.
    func subscriptionAdded(clientID: String, filter: String, options: SubscriptionOptions)
    /// A persistent session removed a subscription.
    func subscriptionRemoved(clientID: String, filter: String)
    /// The retained message of a topic was set (or cleared, when `message` is nil).
    func retainedMessageChanged(topic: String, message: RoutedMessage?)
}

/// The store of `--memory` mode: nothing outlives the process, so nothing is written. Sessions and
/// retained messages live in the broker's memory only.
package struct MemorySessionStore: SessionStore {
    package init() {}
    package func sessionOpened(clientID: String, expiryInterval: UInt32) {}
    package func sessionEnded(clientID: String) {}
    package func subscriptionAdded(clientID: String, filter: String, options: SubscriptionOptions) {}
    package func subscriptionRemoved(clientID: String, filter: String) {}
    package func retainedMessageChanged(topic: String, message: RoutedMessage?) {}
}
