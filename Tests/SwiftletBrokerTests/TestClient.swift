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
import NIOEmbedded
import SwiftletMQTT
import Testing

@testable import SwiftletBroker

/// A broker on an `EmbeddedEventLoop`: every connection is an `EmbeddedChannel` on the same loop,
/// so tests drive time (`advanceTime`) and cross-session tasks (`run`) deterministically.
final class TestBroker {
    let loop = EmbeddedEventLoop()
    let broker: Broker

    init(_ configure: (inout BrokerConfiguration) -> Void = { _ in }) {
        var configuration = BrokerConfiguration()
        configure(&configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        broker = Broker(configuration: configuration, logger: logger)
    }

    func client(_ version: ProtocolVersion = .v5) throws -> TestClient {
        try TestClient(broker: self, version: version)
    }

    /// Runs every task queued on the loop (cross-session deliveries, session opening).
    func run() { loop.run() }

    func advance(by amount: TimeAmount) { loop.advanceTime(by: amount) }
}

/// One MQTT client talking to the broker through an `EmbeddedChannel` with the real handler.
final class TestClient {
    let channel: EmbeddedChannel
    let version: ProtocolVersion
    private let broker: TestBroker
    private var decoder: MQTTPacketDecoder
    private var pendingBytes: ByteBuffer
    private var received: [MQTTPacket] = []

    init(broker: TestBroker, version: ProtocolVersion) throws {
        self.broker = broker
        self.version = version
        let handler = MQTTConnectionHandler(broker: broker.broker, transport: "test", logger: broker.broker.logger)
        channel = EmbeddedChannel(handler: handler, loop: broker.loop)
        decoder = MQTTPacketDecoder(maximumPacketSize: 1 << 24, version: version)
        pendingBytes = ByteBuffer()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1000)).wait()
    }

    /// Writes a packet as the client would.
    func send(_ packet: MQTTPacket) throws {
        var buffer = ByteBuffer()
        MQTTPacketEncoder.encode(packet, version: version, into: &buffer)
        try sendBytes(buffer)
    }

    func sendBytes(_ buffer: ByteBuffer) throws {
        try channel.writeInbound(buffer)
        broker.run()
    }

    /// Sends CONNECT and returns the CONNACK.
    @discardableResult
    func connect(
        clientID: String,
        cleanStart: Bool = true,
        keepAlive: UInt16 = 0,
        will: WillMessage? = nil,
        properties: Properties = []
    ) throws -> ConnAckPacket {
        try send(
            .connect(
                ConnectPacket(
                    version: version, cleanStart: cleanStart, keepAlive: keepAlive, clientID: clientID, will: will,
                    properties: properties)))
        guard case .connack(let connack) = try #require(try next()) else {
            Issue.record("expected CONNACK")
            throw TestError.unexpectedPacket
        }
        return connack
    }

    @discardableResult
    func subscribe(
        _ filter: String, qos: QoS = .atMostOnce, packetID: UInt16 = 1, noLocal: Bool = false,
        retainAsPublished: Bool = false, retainHandling: RetainHandling = .sendOnSubscribe,
        properties: Properties = []
    ) throws -> SubAckPacket {
        try send(
            .subscribe(
                SubscribePacket(
                    packetID: packetID,
                    subscriptions: [
                        SubscriptionRequest(
                            topicFilter: filter, qos: qos, noLocal: noLocal, retainAsPublished: retainAsPublished,
                            retainHandling: retainHandling)
                    ], properties: properties)))
        guard case .suback(let suback) = try #require(try next()) else {
            throw TestError.unexpectedPacket
        }
        return suback
    }

    func publish(
        _ topic: String, _ payload: String, qos: QoS = .atMostOnce, retain: Bool = false, packetID: UInt16? = nil,
        properties: Properties = []
    ) throws {
        try send(
            .publish(
                PublishPacket(
                    topic: topic, payload: ByteBuffer(string: payload), qos: qos, retain: retain,
                    packetID: qos == .atMostOnce ? nil : (packetID ?? 1), properties: properties)))
    }

    /// The next packet the broker sent to this client, or nil if none is waiting.
    func next() throws -> MQTTPacket? {
        try drain()
        return received.isEmpty ? nil : received.removeFirst()
    }

    /// Every packet the broker sent that was not read yet.
    func all() throws -> [MQTTPacket] {
        try drain()
        defer { received.removeAll() }
        return received
    }

    /// The next PUBLISH, failing the test if the next packet is something else or missing.
    func nextPublish(sourceLocation: SourceLocation = #_sourceLocation) throws -> PublishPacket {
        let packet = try next()
        guard case .publish(let publish) = packet else {
            Issue.record("expected PUBLISH, got \(String(describing: packet))", sourceLocation: sourceLocation)
            throw TestError.unexpectedPacket
        }
        return publish
    }

    private func drain() throws {
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            pendingBytes.writeImmutableBuffer(buffer)
        }
        while let packet = try decoder.decodePacket(buffer: &pendingBytes) {
            received.append(packet)
        }
    }

    var isActive: Bool { channel.isActive }

    /// Closes the socket without DISCONNECT, as a crashed client would.
    func drop() throws {
        try channel.close().wait()
        broker.run()
    }
}

enum TestError: Error {
    case unexpectedPacket
}

extension PublishPacket {
    var payloadString: String { String(buffer: payload) }
}
