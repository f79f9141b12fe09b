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
import Testing

@testable import SwiftletBroker

/// A remote route that writes down what the broker tells it: the test double of the cluster.
final class RecordingRemoteRoute: RemoteRoute {
    private let log = Mutex<[String]>([])

    var recorded: [String] { log.withLock { $0 } }

    func interestAdded(filter: String) { log.withLock { $0.append("+ \(filter)") } }
    func interestRemoved(filter: String) { log.withLock { $0.append("- \(filter)") } }
    func forward(_ message: RoutedMessage) {
        log.withLock { $0.append("> \(message.topic) \(String(buffer: message.payload))") }
    }
}

/// The seam the NATS cluster plugs into (DESIGN §10): interest per distinct filter, messages
/// forwarded once, messages from other nodes delivered here and not sent back.
@Suite("Remote route")
struct RemoteRouteTests {
    // Status events are messages like any other (the cluster carries them to backends on every
    // node); they are off here so that the records hold only what each test does.
    @Test("Interest is counted per distinct filter over every session of the node")
    func interestPerFilter() throws {
        let remote = RecordingRemoteRoute()
        let broker = TestBroker(remote: remote) { $0.statusEvents = false }
        let alice = try broker.connected("alice")
        let bob = try broker.connected("bob")
        try alice.subscribe("room/1")
        try bob.subscribe("room/1")
        try bob.subscribe("room/+")
        try alice.subscribe("room/1", qos: .atLeastOnce)  // replaces alice's: no new interest
        try bob.subscribe("$share/g/jobs")
        #expect(remote.recorded == ["+ room/1", "+ room/+", "+ $share/g/jobs"])

        try alice.unsubscribe(["room/1"])
        #expect(remote.recorded.count == 3)
        try bob.drop()  // a clean session ends with its connection: all of bob's filters go
        #expect(remote.recorded.dropFirst(3).sorted() == ["- $share/g/jobs", "- room/+", "- room/1"])
    }

    @Test("A message published here is forwarded once, whoever subscribed here")
    func forwardedOnce() throws {
        let remote = RecordingRemoteRoute()
        let broker = TestBroker(remote: remote) { $0.statusEvents = false }
        let reader = try broker.connected("reader")
        try reader.subscribe("room/#")
        let writer = try broker.connected("writer")
        try writer.publish("room/1", "hello")
        try writer.publish("elsewhere", "nobody here")
        #expect(remote.recorded == ["+ room/#", "> room/1 hello", "> elsewhere nobody here"])
        #expect(try reader.publishes().map(\.topic) == ["room/1"])
    }

    @Test("A message from another node reaches the subscribers here and is not sent back")
    func fromRemote() throws {
        let remote = RecordingRemoteRoute()
        let broker = TestBroker(remote: remote) { $0.statusEvents = false }
        let reader = try broker.connected("reader")
        try reader.subscribe("room/1")
        let message = RoutedMessage(
            topic: "room/1", payload: ByteBuffer(string: "from afar"), qos: .atMostOnce, retain: false)
        #expect(broker.broker.routeFromRemote(message, now: broker.loop.now, on: broker.loop) == 1)
        broker.run()
        #expect(try reader.publishes().map { String(buffer: $0.payload) } == ["from afar"])
        #expect(remote.recorded == ["+ room/1"])
    }

    @Test("A point-to-point message to a client not connected here goes to the other nodes")
    func p2pElsewhere() throws {
        let remote = RecordingRemoteRoute()
        let broker = TestBroker(remote: remote) { $0.statusEvents = false }
        let here = try broker.connected("GID_chat@@@here")
        let writer = try broker.connected("GID_chat@@@writer")
        try writer.publish("chat/p2p/GID_chat@@@here", "local")
        try writer.publish("chat/p2p/GID_chat@@@away", "remote")
        #expect(try here.publishes().map { String(buffer: $0.payload) } == ["local"])
        #expect(remote.recorded == ["> chat/p2p/GID_chat@@@away remote"])
        #expect(broker.stats.snapshot["messagesDroppedNoSession", default: 0] == 0)
    }
}
