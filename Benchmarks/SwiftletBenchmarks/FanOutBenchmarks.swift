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
import Benchmark
import Logging
import NIOCore
import NIOEmbedded
import SwiftletBroker
import SwiftletMQTT

/// `subscriberCount` connected clients in one room, each the broker's real
/// `MQTTConnectionHandler` on an `EmbeddedChannel` (as `Tests/SwiftletBrokerTests/TestClient.swift` drives them), spread
/// round-robin over `loopCount` `EmbeddedEventLoop`s standing for the event loops of the cores:
/// one delivery task per loop per publish (DESIGN §4.3). Half speak MQTT 3.1.1 and half MQTT 5,
/// so each task encodes the publish twice, once per protocol family (DESIGN §4.4).
///
/// An `EmbeddedChannel` keeps what is written in two `CircularBuffer`s (pending, then flushed);
/// they are emptied after every run, outside the measurement, and keep their capacity, so in the
/// steady state the channel adds no allocation of its own to a write or a flush.
private final class FanOutFixture {
    let loops: [EmbeddedEventLoop]
    let broker: Broker
    let subscriberCount: Int
    private var channels: [EmbeddedChannel] = []
    /// The protocol version each channel's client speaks.
    private var versions: [ProtocolVersion] = []

    /// - Parameters:
    ///   - subscriptionIdentifier: if set, every subscriber speaks MQTT 5 and subscribes
    ///     with this Subscription Identifier, which makes its PUBLISH its own [MQTT-3.3.4-3].
    ///   - rooms: room policies (batch windows) of the broker.
    ///   - qos: the QoS every subscriber subscribes with.
    init(
        subscriberCount: Int, loopCount: Int, subscriptionIdentifier: UInt32? = nil, rooms: [RoomPolicy] = [],
        qos: QoS = .atMostOnce
    ) throws {
        self.subscriberCount = subscriberCount
        loops = (0..<loopCount).map { _ in EmbeddedEventLoop() }
        var logger = Logger(label: "benchmark")
        logger.logLevel = .critical
        var configuration = BrokerConfiguration()
        configuration.rooms = rooms
        broker = Broker(configuration: configuration, logger: logger)
        for number in 0..<subscriberCount {
            // Both versions on every loop: loop by `number % loopCount`, version by the quotient.
            var version: ProtocolVersion = (number / loopCount).isMultiple(of: 2) ? .v3_1_1 : .v5
            if subscriptionIdentifier != nil { version = .v5 }
            let handler = MQTTConnectionHandler(broker: broker, transport: "benchmark", logger: logger)
            let loop = loops[number % loopCount]
            let channel = EmbeddedChannel(handler: handler, loop: loop)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1883)).wait()
            var bytes = ByteBuffer()
            MQTTPacketEncoder.encode(
                .connect(ConnectPacket(version: version, cleanStart: true, keepAlive: 0, clientID: "viewer-\(number)")),
                version: version, into: &bytes)
            try channel.writeInbound(bytes)
            loop.run()
            bytes.clear()
            MQTTPacketEncoder.encode(
                .subscribe(
                    SubscribePacket(
                        packetID: 1,
                        subscriptions: [SubscriptionRequest(topicFilter: benchmarkRoomTopic, qos: qos)],
                        properties: subscriptionIdentifier.map { [.subscriptionIdentifier($0)] } ?? [])),
                version: version, into: &bytes)
            try channel.writeInbound(bytes)
            loop.run()
            channels.append(channel)
            versions.append(version)
        }
        precondition(broker.subscriptionCount == subscriberCount, "\(broker.subscriptionCount) subscriptions")
        // CONNACK and SUBACK.
        let written = try drain()
        precondition(written == 2 * subscriberCount, "\(written) packets written during set-up")
    }

    /// Runs the delivery tasks queued on every loop.
    func runLoops() {
        for loop in loops { loop.run() }
    }

    /// Empties every channel's outbound buffer; returns how many buffers were written.
    func drain() throws -> Int {
        try drainPublishes().count
    }

    /// Empties every channel's outbound buffer; returns the packet identifiers of the PUBLISH
    /// packets written (nil for QoS 0), one per buffer.
    func drainPublishes() throws -> [UInt16?] {
        var identifiers: [UInt16?] = []
        for (channel, version) in zip(channels, versions) {
            while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
                var decoder = MQTTPacketDecoder(version: version)
                if case .publish(let publish)? = try decoder.decodePacket(buffer: &buffer) {
                    identifiers.append(publish.packetID)
                } else {
                    identifiers.append(nil)
                }
            }
        }
        return identifiers
    }

    /// Every subscriber sends `puback` (the same bytes: one identifier for all of them), each
    /// in its own read, as a client on its own socket would.
    func acknowledgeAll(_ puback: ByteBuffer) throws {
        for channel in channels {
            try channel.writeInbound(puback)
        }
    }
}

func fanOutBenchmarks() {
    // The same room with 1,000 subscribers shows that the count does not depend on their number
    // (none per delivery); with 4 loops, what each further loop adds.
    for (subscriberCount, loopCount) in [(1_000, 1), (10_000, 1), (10_000, 4)] {
        var fixture: FanOutFixture?

        // Counts the mallocs of one QoS 0 PUBLISH routed to `subscriberCount` subscribers:
        // `Broker.route` (index lookup, grouping by loop, one task per loop), then those tasks
        // (`SessionHandle.deliver` → `MQTTConnectionHandler.writePublish` with the encode-once
        // `PublishEncodingCache`, one flush per connection). The message is made outside the
        // measurement, as the publisher's decoder would have made it. The budget (issue 5) is no
        // malloc per delivery beyond the shared buffers, so the count is per publish and per loop,
        // never per subscriber. Of it, 5 per loop are the `EmbeddedEventLoop`'s own (`execute` makes a
        // scheduled task with a promise; `run` collects the due tasks in an array), where
        // NIO's `SelectableEventLoop` queues the task without allocating.
        Benchmark(
            "FanOut.QoS0.\(subscriberCount / 1000)k.\(loopCount)loop\(loopCount == 1 ? "" : "s")",
            configuration: .init(maxIterations: 10)
        ) { benchmark in
            if fixture == nil {
                fixture = try FanOutFixture(subscriberCount: subscriberCount, loopCount: loopCount)
            }
            let fixture = fixture!
            let message = RoutedMessage(
                topic: benchmarkRoomTopic, payload: benchmarkPayload, qos: .atMostOnce, retain: false,
                publisherClientID: "publisher")
            let now = fixture.loops[0].now
            benchmark.startMeasurement()
            let routed = fixture.broker.route(message, from: nil, now: now)
            fixture.runLoops()
            benchmark.stopMeasurement()
            precondition(routed == subscriberCount, "routed to \(routed)")
            let written = try fixture.drain()
            precondition(written == subscriberCount, "\(written) PUBLISH packets written")
        }
    }

    var identifierFixture: FanOutFixture?
    // Counts the same as above for 1,000 MQTT 5 subscribers that each subscribed with a
    // Subscription Identifier: each delivery carries its subscriber's identifier, so the shared
    // encoding cannot serve it and `writePublish` encodes a whole PUBLISH per subscriber. This is
    // the gap to DESIGN §4.4 (per-subscriber bytes as a small header in front of the shared
    // payload); the count is per delivery here, and should fall once that is done.
    Benchmark("FanOut.QoS0.1k.1loop.subscriptionIdentifier", configuration: .init(maxIterations: 10)) { benchmark in
        if identifierFixture == nil {
            identifierFixture = try FanOutFixture(subscriberCount: 1_000, loopCount: 1, subscriptionIdentifier: 7)
        }
        let fixture = identifierFixture!
        let message = RoutedMessage(
            topic: benchmarkRoomTopic, payload: benchmarkPayload, qos: .atMostOnce, retain: false,
            publisherClientID: "publisher")
        let now = fixture.loops[0].now
        benchmark.startMeasurement()
        let routed = fixture.broker.route(message, from: nil, now: now)
        fixture.runLoops()
        benchmark.stopMeasurement()
        precondition(routed == fixture.subscriberCount, "routed to \(routed)")
        let written = try fixture.drain()
        precondition(written == fixture.subscriberCount, "\(written) PUBLISH packets written")
    }

    var qos1Fixture: FanOutFixture?
    var pendingAcknowledgement: ByteBuffer?
    // Counts the mallocs of one QoS 1 publish to 1,000 QoS 1 subscribers on one loop and of the
    // 1,000 PUBACKs that complete the previous one (issue 12): the subscribers share the message's
    // packet identifier (PublishEncodingCache.sharedPacketID), so the PUBLISH is encoded once per
    // protocol family as at QoS 0, each in-flight window (InflightWindow) reuses its storage, and a
    // PUBACK is decoded and matched without allocating. The count is per publish, not per delivery.
    Benchmark("FanOut.QoS1.1k.1loop.withPUBACK", configuration: .init(maxIterations: 10)) { benchmark in
        if qos1Fixture == nil {
            qos1Fixture = try FanOutFixture(subscriberCount: 1_000, loopCount: 1, qos: .atLeastOnce)
        }
        let fixture = qos1Fixture!
        let message = RoutedMessage(
            topic: benchmarkRoomTopic, payload: benchmarkPayload, qos: .atLeastOnce, retain: false,
            publisherClientID: "publisher")
        let now = fixture.loops[0].now
        benchmark.startMeasurement()
        if let puback = pendingAcknowledgement {
            try fixture.acknowledgeAll(puback)
        }
        let routed = fixture.broker.route(message, from: nil, now: now)
        fixture.runLoops()
        benchmark.stopMeasurement()
        precondition(routed == fixture.subscriberCount, "routed to \(routed)")
        let identifiers = try fixture.drainPublishes()
        precondition(identifiers.count == fixture.subscriberCount, "\(identifiers.count) PUBLISH packets written")
        let shared = identifiers[0]
        precondition(shared != nil && identifiers.allSatisfy { $0 == shared }, "packet identifiers not shared")
        var puback = ByteBuffer()
        MQTTPacketEncoder.encode(.puback(AckPacket(packetID: shared!)), version: .v3_1_1, into: &puback)
        pendingAcknowledgement = puback
    }

    var batchFixture: FanOutFixture?
    let messagesPerWindow = 10
    // Counts the mallocs of one batch window of a live room (DESIGN §4.5): `messagesPerWindow`
    // QoS 0 messages routed into a room with a 50 ms window, then the window's flush
    // (`Broker.flushRoom`: one index lookup, one task per loop) and its delivery to 10,000
    // subscribers on one loop, each of which takes one shared buffer holding all the window's
    // PUBLISH packets (`SharedPublishBatch`, encoded once per protocol family). The count is per
    // window and must not grow with the subscribers either.
    Benchmark("FanOut.QoS0.10k.1loop.batchWindow", configuration: .init(maxIterations: 10)) { benchmark in
        if batchFixture == nil {
            batchFixture = try FanOutFixture(
                subscriberCount: 10_000, loopCount: 1,
                rooms: [RoomPolicy(filter: benchmarkRoomTopic, batchInterval: .milliseconds(50))])
        }
        let fixture = batchFixture!
        let loop = fixture.loops[0]
        let messages = (0..<messagesPerWindow).map { _ in
            RoutedMessage(
                topic: benchmarkRoomTopic, payload: benchmarkPayload, qos: .atMostOnce, retain: false,
                publisherClientID: "publisher")
        }
        benchmark.startMeasurement()
        for message in messages {
            fixture.broker.route(message, from: nil, now: loop.now, on: loop)
        }
        loop.advanceTime(by: .milliseconds(50))
        fixture.runLoops()
        benchmark.stopMeasurement()
        let written = try fixture.drain()
        precondition(written == fixture.subscriberCount, "\(written) buffers written, one per subscriber expected")
    }
}
