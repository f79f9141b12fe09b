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

/// Subscribers of the one room a fan-out benchmark publishes to.
private let subscriberCount = 10_000

/// 10,000 connected clients in one room, each the broker's real `MQTTConnectionHandler` on an
/// `EmbeddedChannel` (as `Tests/SwiftletBrokerTests/TestClient.swift` drives them), all on one
/// `EmbeddedEventLoop`: one loop, so one delivery task per publish (DESIGN §4.3). Half speak
/// MQTT 3.1.1 and half MQTT 5, so a publish is encoded twice, once per protocol family
/// (DESIGN §4.4).
///
/// An `EmbeddedChannel` keeps what is written in two `CircularBuffer`s (pending, then flushed);
/// they are emptied after every run, outside the measurement, and keep their capacity, so in the
/// steady state the channel adds no allocation of its own to a write or a flush.
private final class FanOutFixture {
    let loop = EmbeddedEventLoop()
    let broker: Broker
    private var channels: [EmbeddedChannel] = []

    init() throws {
        var logger = Logger(label: "benchmark")
        logger.logLevel = .critical
        broker = Broker(configuration: BrokerConfiguration(), logger: logger)
        for number in 0..<subscriberCount {
            let version: ProtocolVersion = number.isMultiple(of: 2) ? .v3_1_1 : .v5
            let handler = MQTTConnectionHandler(broker: broker, transport: "benchmark", logger: logger)
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
                        subscriptions: [SubscriptionRequest(topicFilter: benchmarkRoomTopic, qos: .atMostOnce)])),
                version: version, into: &bytes)
            try channel.writeInbound(bytes)
            loop.run()
            channels.append(channel)
        }
        precondition(broker.subscriptionCount == subscriberCount, "\(broker.subscriptionCount) subscriptions")
        // CONNACK and SUBACK.
        let written = try drain()
        precondition(written == 2 * subscriberCount, "\(written) packets written during set-up")
    }

    /// Empties every channel's outbound buffer; returns how many buffers were written.
    func drain() throws -> Int {
        var count = 0
        for channel in channels {
            while try channel.readOutbound(as: ByteBuffer.self) != nil { count += 1 }
        }
        return count
    }
}

func fanOutBenchmarks() {
    var fixture: FanOutFixture?

    // Counts the mallocs of one QoS 0 PUBLISH routed to 10,000 subscribers: `Broker.route`
    // (index lookup, grouping by loop, one task per loop), then that task
    // (`SessionHandle.deliver` → `MQTTConnectionHandler.writePublish` with the encode-once
    // `PublishEncodingCache`, one flush per connection). The message is made outside the
    // measurement, as the publisher's decoder would have made it. mallocs per delivery = the
    // count / 10,000; the budget (issue 5) is none per delivery beyond the shared buffers.
    Benchmark("FanOut.QoS0.10k", configuration: .init(maxIterations: 10)) { benchmark in
        if fixture == nil { fixture = try FanOutFixture() }
        let fixture = fixture!
        let message = RoutedMessage(
            topic: benchmarkRoomTopic, payload: benchmarkPayload, qos: .atMostOnce, retain: false,
            publisherClientID: "publisher")
        let now = fixture.loop.now
        benchmark.startMeasurement()
        let routed = fixture.broker.route(message, from: nil, now: now)
        fixture.loop.run()
        benchmark.stopMeasurement()
        precondition(routed == subscriberCount, "routed to \(routed)")
        let written = try fixture.drain()
        precondition(written == subscriberCount, "\(written) PUBLISH packets written")
    }
}
