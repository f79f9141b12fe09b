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

/// PUBLISH packets per run: one read's worth, as a busy publisher's socket delivers them.
private let packetsPerRun = 1000

/// One connected publisher, the broker's real `MQTTConnectionHandler` on an `EmbeddedChannel`.
private final class PublisherFixture {
    let loop = EmbeddedEventLoop()
    let broker: Broker
    let channel: EmbeddedChannel
    let packets: ByteBuffer

    init(version: ProtocolVersion) throws {
        var logger = Logger(label: "benchmark")
        logger.logLevel = .critical
        broker = Broker(configuration: BrokerConfiguration(), logger: logger)
        channel = EmbeddedChannel(
            handler: MQTTConnectionHandler(broker: broker, transport: "benchmark", logger: logger), loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1883)).wait()
        var connect = ByteBuffer()
        MQTTPacketEncoder.encode(
            .connect(ConnectPacket(version: version, cleanStart: true, keepAlive: 0, clientID: "publisher")),
            version: version, into: &connect)
        try channel.writeInbound(connect)
        loop.run()
        guard try channel.readOutbound(as: ByteBuffer.self) != nil else { fatalError("no CONNACK") }

        var packets = ByteBuffer()
        let packet = MQTTPacket.publish(PublishPacket(topic: benchmarkRoomTopic, payload: benchmarkPayload))
        for _ in 0..<packetsPerRun {
            MQTTPacketEncoder.encode(packet, version: version, into: &packets)
        }
        self.packets = packets
    }
}

func inboundPublishBenchmarks() {
    for version in [ProtocolVersion.v3_1_1, .v5] {
        var fixture: PublisherFixture?

        // Counts the mallocs of the publisher's side of the hot path for `packetsPerRun` QoS 0
        // PUBLISH packets arriving in one read: `MQTTConnectionHandler.channelRead` → decoder →
        // `publishReceived` (alias, topic and payload checks) → `RoutedMessage` → `Broker.route` (p2p
        // check, index lookup) to a room nobody is in, so that no delivery is counted here (the
        // fan-out benchmarks count those). Expected per packet: the topic `String` of the decoder.
        Benchmark(
            "Publish.QoS0.inbound.\(version == .v5 ? "MQTT5" : "MQTT311")",
            configuration: .init(scalingFactor: .kilo)
        ) { benchmark in
            if fixture == nil { fixture = try PublisherFixture(version: version) }
            let fixture = fixture!
            let received = fixture.broker.stats[.messagesReceived]
            benchmark.startMeasurement()
            try fixture.channel.writeInbound(fixture.packets)
            benchmark.stopMeasurement()
            let routed = fixture.broker.stats[.messagesReceived] - received
            precondition(routed == packetsPerRun, "\(routed) messages routed")
            precondition(fixture.channel.isActive, "the publisher was disconnected")
        }
    }
}
