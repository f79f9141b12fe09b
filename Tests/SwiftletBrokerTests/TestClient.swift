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

    init(
        store: any SessionStore = MemorySessionStore(), remote: (any RemoteRoute)? = nil,
        _ configure: (inout BrokerConfiguration) -> Void = { _ in }
    ) {
        var configuration = BrokerConfiguration()
        configure(&configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        broker = Broker(configuration: configuration, logger: logger, store: store, remote: remote)
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
        username: String? = nil,
        password: ByteBuffer? = nil,
        properties: Properties = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ConnAckPacket {
        try send(
            .connect(
                ConnectPacket(
                    version: version, cleanStart: cleanStart, keepAlive: keepAlive, clientID: clientID, will: will,
                    username: username, password: password, properties: properties)))
        let packet = try next()
        guard case .connack(let connack) = packet else {
            Issue.record("expected CONNACK, got \(String(describing: packet))", sourceLocation: sourceLocation)
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
        let packet = try next()
        guard case .suback(let suback) = packet else {
            Issue.record("expected SUBACK, got \(String(describing: packet))")
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

    /// Sets the channel's writability and fires the event, as a real channel does when its
    /// outbound buffer crosses a water mark.
    func setWritable(_ writable: Bool) {
        channel.isWritable = writable
        channel.pipeline.fireChannelWritabilityChanged()
        broker.run()
    }

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

// MARK: - Helpers for the broker semantics suites

extension TestBroker {
    var stats: BrokerStats { broker.stats }

    /// A client that connected as `clientID` and was accepted, failing the test otherwise.
    func connected(
        _ clientID: String,
        _ version: ProtocolVersion = .v5,
        cleanStart: Bool = true,
        keepAlive: UInt16 = 0,
        will: WillMessage? = nil,
        properties: Properties = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> TestClient {
        let client = try client(version)
        let connack = try client.connect(
            clientID: clientID, cleanStart: cleanStart, keepAlive: keepAlive, will: will, properties: properties,
            sourceLocation: sourceLocation)
        try #require(connack.reasonCode == .success, "CONNACK \(connack.reasonCode)", sourceLocation: sourceLocation)
        return client
    }
}

extension TestClient {
    /// The next packet, failing the test if none is waiting.
    func nextPacket(sourceLocation: SourceLocation = #_sourceLocation) throws -> MQTTPacket {
        try #require(try next(), "expected a packet, got none", sourceLocation: sourceLocation)
    }

    /// The next packet, which must be a DISCONNECT.
    func nextDisconnect(sourceLocation: SourceLocation = #_sourceLocation) throws -> DisconnectPacket {
        let packet = try next()
        guard case .disconnect(let disconnect) = packet else {
            Issue.record("expected DISCONNECT, got \(String(describing: packet))", sourceLocation: sourceLocation)
            throw TestError.unexpectedPacket
        }
        return disconnect
    }

    /// The reason code of the next packet, which must be a DISCONNECT.
    func nextDisconnectReason(sourceLocation: SourceLocation = #_sourceLocation) throws -> ReasonCode {
        try nextDisconnect(sourceLocation: sourceLocation).reasonCode
    }

    /// Checks that the next packet is a DISCONNECT with `expected` as its reason code.
    func expectDisconnect(_ expected: ReasonCode, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let reason = try nextDisconnectReason(sourceLocation: sourceLocation)
        #expect(reason == expected, sourceLocation: sourceLocation)
    }

    /// The next packet, which must be a PUBACK, PUBREC, PUBREL or PUBCOMP of the given type.
    func nextAck(_ type: PacketType, sourceLocation: SourceLocation = #_sourceLocation) throws -> AckPacket {
        let packet = try next()
        switch (type, packet) {
        case (.puback, .puback(let ack)?), (.pubrec, .pubrec(let ack)?), (.pubrel, .pubrel(let ack)?),
            (.pubcomp, .pubcomp(let ack)?):
            return ack
        default:
            Issue.record("expected \(type), got \(String(describing: packet))", sourceLocation: sourceLocation)
            throw TestError.unexpectedPacket
        }
    }

    /// Every waiting packet, each of which must be a PUBLISH.
    func publishes(sourceLocation: SourceLocation = #_sourceLocation) throws -> [PublishPacket] {
        var result: [PublishPacket] = []
        for packet in try all() {
            guard case .publish(let publish) = packet else {
                Issue.record("expected only PUBLISH, got \(packet)", sourceLocation: sourceLocation)
                throw TestError.unexpectedPacket
            }
            result.append(publish)
        }
        return result
    }

    /// Sends one SUBSCRIBE with several filters and returns the SUBACK.
    @discardableResult
    func subscribe(
        _ requests: [SubscriptionRequest], packetID: UInt16 = 1, properties: Properties = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> SubAckPacket {
        try send(.subscribe(SubscribePacket(packetID: packetID, subscriptions: requests, properties: properties)))
        let packet = try next()
        guard case .suback(let suback) = packet else {
            Issue.record("expected SUBACK, got \(String(describing: packet))", sourceLocation: sourceLocation)
            throw TestError.unexpectedPacket
        }
        return suback
    }

    /// Sends UNSUBSCRIBE and returns the UNSUBACK.
    @discardableResult
    func unsubscribe(
        _ filters: [String], packetID: UInt16 = 1, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> UnsubAckPacket {
        try send(.unsubscribe(UnsubscribePacket(packetID: packetID, topicFilters: filters)))
        let packet = try next()
        guard case .unsuback(let unsuback) = packet else {
            Issue.record("expected UNSUBACK, got \(String(describing: packet))", sourceLocation: sourceLocation)
            throw TestError.unexpectedPacket
        }
        return unsuback
    }

    /// The bytes of `packets`, back to back, as this client would write them.
    func encode(_ packets: [MQTTPacket]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for packet in packets { MQTTPacketEncoder.encode(packet, version: version, into: &buffer) }
        return buffer
    }

    /// Delivers bytes to the broker without running the loop afterwards, so that tasks the broker
    /// queued (a session opening on takeover, deliveries) are still pending when the call returns.
    func sendBytesWithoutRunning(_ buffer: ByteBuffer) throws {
        try channel.writeInbound(buffer)
    }

    /// Sends a PUBLISH built by the caller (for DUP, aliases and other details the shorthand lacks).
    func publish(_ packet: PublishPacket) throws {
        try send(.publish(packet))
    }

    /// Sends DISCONNECT, as a client that leaves normally.
    func disconnect(_ reason: ReasonCode = .normalDisconnection, properties: Properties = []) throws {
        try send(.disconnect(DisconnectPacket(reasonCode: reason, properties: properties)))
    }

    func puback(_ packetID: UInt16) throws { try send(.puback(AckPacket(packetID: packetID))) }
    func pubrec(_ packetID: UInt16) throws { try send(.pubrec(AckPacket(packetID: packetID))) }
    func pubrel(_ packetID: UInt16) throws { try send(.pubrel(AckPacket(packetID: packetID))) }
    func pubcomp(_ packetID: UInt16) throws { try send(.pubcomp(AckPacket(packetID: packetID))) }

    /// Completes the flow of a received PUBLISH as a well-behaved client would: PUBACK for QoS 1;
    /// PUBREC, then PUBCOMP once the broker's PUBREL arrived, for QoS 2.
    func acknowledge(_ publish: PublishPacket, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard let packetID = publish.packetID else { return }
        switch publish.qos {
        case .atMostOnce:
            return
        case .atLeastOnce:
            try puback(packetID)
        case .exactlyOnce:
            try pubrec(packetID)
            let pubrel = try nextAck(.pubrel, sourceLocation: sourceLocation)
            #expect(pubrel.packetID == packetID, sourceLocation: sourceLocation)
            try pubcomp(packetID)
        }
    }
}

extension ByteBuffer {
    /// A payload of `count` bytes.
    static func filler(_ count: Int) -> ByteBuffer {
        ByteBuffer(repeating: UInt8(ascii: "x"), count: count)
    }
}
