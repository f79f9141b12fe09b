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
import NIOEmbedded
import SwiftletBroker
import SwiftletMQTT
import Synchronization
import Testing

/// A store that records what the broker writes through to it.
final class RecordingStore: SessionStore {
    let events = Mutex<[String]>([])

    func sessionOpened(clientID: String, expiryInterval: UInt32) {
        events.withLock { $0.append("open \(clientID) \(expiryInterval)") }
    }
    func sessionEnded(clientID: String) {
        events.withLock { $0.append("end \(clientID)") }
    }
    func subscriptionAdded(clientID: String, filter: String, options: SubscriptionOptions) {
        events.withLock { $0.append("sub \(clientID) \(filter) q\(options.qos.rawValue)") }
    }
    func subscriptionRemoved(clientID: String, filter: String) {
        events.withLock { $0.append("unsub \(clientID) \(filter)") }
    }
    func retainedMessageChanged(topic: String, message: RoutedMessage?) {
        events.withLock { $0.append(message == nil ? "clear \(topic)" : "retain \(topic)") }
    }

    var recorded: [String] { events.withLock { $0 } }
}

/// What reaches the SessionStore: persistent sessions and their subscriptions, retained messages;
/// never clean sessions (DESIGN §9).
@Suite("Session store write-through")
struct SessionStoreTests {
    @Test("A persistent session's life reaches the store; a clean one's does not")
    func persistentSessionsOnly() throws {
        let store = RecordingStore()
        let broker = TestBroker(store: store)
        let clean = try broker.connected("clean")
        try clean.subscribe("a/b", qos: .atLeastOnce)

        let kept = try broker.connected("kept", properties: [.sessionExpiryInterval(60)])
        try kept.subscribe("c/#", qos: .atLeastOnce)
        try kept.unsubscribe(["c/#"])
        try kept.drop()
        broker.advance(by: .seconds(61))

        #expect(store.recorded == ["open kept 60", "sub kept c/# q1", "unsub kept c/#", "end kept"])
    }

    @Test("Retained messages are written through, and cleared with an empty payload")
    func retainedWriteThrough() throws {
        let store = RecordingStore()
        let broker = TestBroker(store: store)
        let publisher = try broker.connected("pub")
        try publisher.publish("r/1", "x", retain: true)
        try publisher.publish("r/1", "", retain: true)
        #expect(store.recorded == ["retain r/1", "clear r/1"])
    }
}
