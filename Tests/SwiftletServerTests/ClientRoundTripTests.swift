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
import NIOPosix
import SwiftletClient
import SwiftletMQTT
import SwiftletServer
import Testing

/// What the client delegate saw, as values that cross to the test task.
enum ClientEvent: Sendable, Equatable {
    case connected(tag: Int, deflate: Bool)
    case subscribed(tag: Int)
    case received(tag: Int, topic: String, payload: [UInt8])
    case closed(tag: Int, error: String?)
}

/// A delegate on the client loop that forwards every event to an `AsyncStream`.
final class StreamingDelegate: MQTTClientDelegate {
    let continuation: AsyncStream<ClientEvent>.Continuation
    let resources = MQTTClientLoopResources()
    var connections: [Int: MQTTClientConnection] = [:]

    init(continuation: AsyncStream<ClientEvent>.Continuation) {
        self.continuation = continuation
    }

    func clientConnected(_ client: MQTTClientConnection, connack: ConnAckPacket) {
        self.connections[client.tag] = client
        self.continuation.yield(.connected(tag: client.tag, deflate: client.webSocketDeflate != nil))
    }
    func client(_ client: MQTTClientConnection, received publish: PublishPacket) {
        self.continuation.yield(
            .received(tag: client.tag, topic: publish.topic, payload: Array(publish.payload.readableBytesView)))
    }
    func client(_ client: MQTTClientConnection, subscribed suback: SubAckPacket) {
        self.continuation.yield(.subscribed(tag: client.tag))
    }
    func clientClosed(_ client: MQTTClientConnection, error: (any Error)?) {
        self.connections[client.tag] = nil
        self.continuation.yield(.closed(tag: client.tag, error: error.map { "\($0)" }))
    }
    func clientFailedToConnect(tag: Int, error: any Error) {
        self.continuation.yield(.closed(tag: tag, error: "\(error)"))
    }
}

/// SwiftletClient against the real broker over real sockets on 127.0.0.1, one transport at a time.
@Suite("SwiftletClient against BrokerServer", .timeLimit(.minutes(1)))
struct ClientRoundTripTests {
    enum Transport: String, CaseIterable, Sendable {
        case tcp, ws, wsDeflate
    }

    @Test("connect, subscribe, a QoS 1 round trip and a clean disconnect", arguments: Transport.allCases)
    func roundTrip(_ transport: Transport) async throws {
        var configuration = ServerConfiguration()
        try configuration.apply(key: "mqtt", value: "127.0.0.1:0")
        try configuration.apply(key: "http", value: "127.0.0.1:0")
        try configuration.apply(key: "admin", value: "off")
        try configuration.apply(key: "threads", value: "1")
        var logger = Logger(label: "swiftlet.test")
        logger.logLevel = .critical
        let server = BrokerServer(configuration: configuration, logger: logger)
        try server.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let outcome: Result<Void, any Error>
        do {
            try await Self.exchange(transport: transport, server: server, loop: group.next())
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try await group.shutdownGracefully()
        try await server.shutdown().get()
        try await NIOThreadPool.singleton.runIfActive { try server.syncShutdown() }
        try outcome.get()
    }

    static func exchange(transport: Transport, server: BrokerServer, loop: any EventLoop) async throws {
        let mqttPort = try #require(server.boundPorts["mqtt"])
        let httpPort = try #require(server.boundPorts["http"])
        let (events, continuation) = AsyncStream.makeStream(of: ClientEvent.self)
        var iterator = events.makeAsyncIterator()
        let clientTransport: MQTTClientConfiguration.Transport
        let port: Int
        switch transport {
        case .tcp:
            clientTransport = .tcp
            port = mqttPort
        case .ws:
            clientTransport = .webSocket(host: "127.0.0.1:\(httpPort)", path: "/mqtt", deflate: false)
            port = httpPort
        case .wsDeflate:
            clientTransport = .webSocket(host: "127.0.0.1:\(httpPort)", path: "/mqtt", deflate: true)
            port = httpPort
        }
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        let box = try await loop.submit {
            NIOLoopBoundBox(StreamingDelegate(continuation: continuation), eventLoop: loop)
        }.get()

        // Client 0 subscribes from 127.0.0.2 (bind before connect), client 1 publishes, MQTT 5.
        try await loop.submit {
            for tag in 0..<2 {
                MQTTClientConnection.connect(
                    to: address,
                    bindingTo: tag == 0 ? try SocketAddress(ipAddress: "127.0.0.2", port: 0) : nil,
                    configuration: MQTTClientConfiguration(
                        clientID: "rt-\(transport.rawValue)-\(tag)", version: .v5, transport: clientTransport),
                    resources: box.value.resources, delegate: box.value, tag: tag, on: loop)
            }
        }.get()
        var connected: [ClientEvent] = []
        for _ in 0..<2 { connected.append(try #require(await iterator.next())) }
        let deflate = transport == .wsDeflate
        #expect(Set(connected.map { "\($0)" }) == [
            "\(ClientEvent.connected(tag: 0, deflate: deflate))", "\(ClientEvent.connected(tag: 1, deflate: deflate))",
        ])

        try await loop.submit { _ = box.value.connections[0]?.subscribe([("room/rt", .atLeastOnce)]) }.get()
        #expect(await iterator.next() == .subscribed(tag: 0))

        // 600 bytes: over the broker's 256-byte threshold, so ws+deflate receives it compressed.
        let payload = (0..<600).map { UInt8(truncatingIfNeeded: $0 % 7) }
        try await loop.submit {
            _ = box.value.connections[1]?.publish(topic: "room/rt", payload: ByteBuffer(bytes: payload), qos: .atLeastOnce)
        }.get()
        #expect(await iterator.next() == .received(tag: 0, topic: "room/rt", payload: payload))

        try await loop.submit {
            for connection in box.value.connections.values { connection.disconnect() }
        }.get()
        var closed: [ClientEvent] = []
        for _ in 0..<2 { closed.append(try #require(await iterator.next())) }
        #expect(closed.allSatisfy { if case .closed(_, nil) = $0 { true } else { false } }, "\(closed)")
        continuation.finish()
    }
}
