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
import SwiftletClient
import SwiftletMQTT
import SwiftletWebSocket
import Testing

@Suite("Client state machine")
struct ClientStateMachineTests {
    static func connected(_ version: ProtocolVersion = .v3_1_1, maximumInflight: Int = 2) -> MQTTClientStateMachine {
        var machine = MQTTClientStateMachine(version: version, maximumInflight: maximumInflight)
        machine.start()
        _ = machine.packetReceived(.connack(ConnAckPacket(sessionPresent: false, reasonCode: .success)))
        return machine
    }

    @Test("CONNACK success connects; a refusal closes")
    func connack() {
        var machine = MQTTClientStateMachine(version: .v5)
        machine.start()
        guard case .connected = machine.packetReceived(.connack(ConnAckPacket(sessionPresent: false, reasonCode: .success)))
        else {
            Issue.record("not connected")
            return
        }
        #expect(machine.state == .connected)

        var refused = MQTTClientStateMachine(version: .v5)
        refused.start()
        guard case .close(.connectionRefused(.notAuthorized)) = refused.packetReceived(
            .connack(ConnAckPacket(sessionPresent: false, reasonCode: .notAuthorized)))
        else {
            Issue.record("not refused")
            return
        }
    }

    @Test("anything but CONNACK first is a protocol violation [MQTT-3.2.0-1]")
    func connackFirst() {
        var machine = MQTTClientStateMachine(version: .v3_1_1)
        machine.start()
        guard case .close(.protocolViolation) = machine.packetReceived(.pingresp) else {
            Issue.record("accepted PINGRESP before CONNACK")
            return
        }
        #expect(machine.state == .closing)
    }

    @Test("Receive Maximum from CONNACK lowers the in-flight window (MQTT 5 §3.2.2.3.3)")
    func receiveMaximum() {
        var machine = MQTTClientStateMachine(version: .v5, maximumInflight: 100)
        machine.start()
        _ = machine.packetReceived(
            .connack(ConnAckPacket(sessionPresent: false, reasonCode: .success, properties: [.receiveMaximum(3)])))
        #expect(machine.maximumInflight == 3)
    }

    @Test("QoS 1 publishes use distinct packet IDs, stop at the window, resume after PUBACK")
    func qos1Window() {
        var machine = Self.connected(maximumInflight: 2)
        do {
            let action = machine.publishRequested(qos: .atMostOnce)
            #expect(action == .send(packetID: nil))
        }
        do {
            let action = machine.publishRequested(qos: .atLeastOnce)
            #expect(action == .send(packetID: 1))
        }
        do {
            let action = machine.publishRequested(qos: .atLeastOnce)
            #expect(action == .send(packetID: 2))
        }
        do {
            let action = machine.publishRequested(qos: .atLeastOnce)
            #expect(action == .inflightFull)
        }
        guard case .acknowledged(packetID: 1, _) = machine.packetReceived(.puback(AckPacket(packetID: 1))) else {
            Issue.record("PUBACK not taken")
            return
        }
        // An unknown PUBACK changes nothing.
        guard case .none = machine.packetReceived(.puback(AckPacket(packetID: 77))) else {
            Issue.record("unknown PUBACK acknowledged something")
            return
        }
        #expect(machine.inflightCount == 1)
        do {
            let action = machine.publishRequested(qos: .atLeastOnce)
            #expect(action == .send(packetID: 3))
        }
    }

    @Test("QoS 2 outbound: PUBREC → PUBREL, PUBCOMP completes")
    func qos2Outbound() {
        var machine = Self.connected()
        do {
            let action = machine.publishRequested(qos: .exactlyOnce)
            #expect(action == .send(packetID: 1))
        }
        guard case .reply(.pubrel(let rel)) = machine.packetReceived(.pubrec(AckPacket(packetID: 1))) else {
            Issue.record("no PUBREL")
            return
        }
        #expect(rel.packetID == 1)
        guard case .acknowledged(packetID: 1, _) = machine.packetReceived(.pubcomp(AckPacket(packetID: 1))) else {
            Issue.record("PUBCOMP not taken")
            return
        }
        #expect(machine.inflightCount == 0)
    }

    @Test("With manual acknowledgement inbound QoS 1 is delivered without PUBACK; QoS 2 still gets PUBREC")
    func manualAcknowledgement() {
        var machine = MQTTClientStateMachine(version: .v5, manualAcknowledgement: true)
        machine.start()
        _ = machine.packetReceived(.connack(ConnAckPacket(sessionPresent: false, reasonCode: .success)))
        let q1 = PublishPacket(topic: "t", payload: ByteBuffer(), qos: .atLeastOnce, packetID: 5)
        guard case .deliver(_, reply: nil) = machine.packetReceived(.publish(q1)) else {
            Issue.record("QoS 1 answered without the application")
            return
        }
        let q2 = PublishPacket(topic: "t", payload: ByteBuffer(), qos: .exactlyOnce, packetID: 6)
        guard case .deliver(_, reply: .pubrec?) = machine.packetReceived(.publish(q2)) else {
            Issue.record("no PUBREC")
            return
        }
    }

    @Test("An acknowledgement carries its reason code (MQTT 5 PUBACK 0x87)")
    func acknowledgementReasonCode() {
        var machine = Self.connected(.v5)
        _ = machine.publishRequested(qos: .atLeastOnce)
        guard
            case .acknowledged(packetID: 1, let code) = machine.packetReceived(
                .puback(AckPacket(packetID: 1, reasonCode: .notAuthorized)))
        else {
            Issue.record("PUBACK not taken")
            return
        }
        #expect(code == .notAuthorized)
    }

    @Test("inbound QoS 1 is delivered with PUBACK; QoS 2 once, with PUBREC, then PUBCOMP for PUBREL")
    func inbound() {
        var machine = Self.connected()
        let q1 = PublishPacket(topic: "t", payload: ByteBuffer(), qos: .atLeastOnce, packetID: 5)
        guard case .deliver(_, reply: .puback(let ack)?) = machine.packetReceived(.publish(q1)), ack.packetID == 5 else {
            Issue.record("no PUBACK")
            return
        }
        let q2 = PublishPacket(topic: "t", payload: ByteBuffer(), qos: .exactlyOnce, packetID: 9)
        guard case .deliver(_, reply: .pubrec?) = machine.packetReceived(.publish(q2)) else {
            Issue.record("QoS 2 not delivered")
            return
        }
        // A resent PUBLISH before PUBREL is the same message: PUBREC again, no second delivery.
        var resent = q2
        resent.dup = true
        guard case .reply(.pubrec) = machine.packetReceived(.publish(resent)) else {
            Issue.record("QoS 2 delivered twice")
            return
        }
        guard case .reply(.pubcomp(let comp)) = machine.packetReceived(.pubrel(AckPacket(packetID: 9))), comp.packetID == 9
        else {
            Issue.record("no PUBCOMP")
            return
        }
    }

    @Test("keep-alive: a ping per period; an unanswered ping closes")
    func keepAlive() {
        var machine = Self.connected()
        let first = machine.keepAliveTimerFired()
        _ = machine.packetReceived(.pingresp)
        let second = machine.keepAliveTimerFired()
        let third = machine.keepAliveTimerFired()
        #expect(first == .sendPingRequest)
        #expect(second == .sendPingRequest)
        #expect(third == .close(.noPingResponse))
        #expect(machine.state == .closing)
    }

    @Test("SUBACK frees its packet ID; DISCONNECT only when connected")
    func subscribeAndDisconnect() {
        var machine = Self.connected()
        let id = machine.subscriptionRequested()
        #expect(id == 1)
        guard case .subscribed = machine.packetReceived(.suback(SubAckPacket(packetID: 1, reasonCodes: [.grantedQoS0])))
        else {
            Issue.record("no SUBACK")
            return
        }
        let first = machine.disconnectRequested()
        let second = machine.disconnectRequested()
        #expect(first)
        #expect(!second)
        do {
            let action = machine.publishRequested(qos: .atMostOnce)
            #expect(action == .notConnected)
        }
    }
}

/// Records what the delegate hears, on the (embedded) loop.
final class RecordingDelegate: MQTTClientDelegate {
    var connected: [ConnAckPacket] = []
    var received: [PublishPacket] = []
    var subacks: [SubAckPacket] = []
    var closed: [String?] = []
    var connection: MQTTClientConnection?

    func clientConnected(_ client: MQTTClientConnection, connack: ConnAckPacket) {
        self.connection = client
        self.connected.append(connack)
    }
    func client(_ client: MQTTClientConnection, received publish: PublishPacket) { self.received.append(publish) }
    func client(_ client: MQTTClientConnection, subscribed suback: SubAckPacket) { self.subacks.append(suback) }
    func clientClosed(_ client: MQTTClientConnection, error: (any Error)?) { self.closed.append(error.map { "\($0)" }) }
    func clientFailedToConnect(tag: Int, error: any Error) { self.closed.append("\(error)") }
}

/// Decodes what the client wrote, as a server would.
struct ServerSide {
    var decoder = MQTTPacketDecoder()
    var buffer = ByteBuffer()

    mutating func packets(from channel: EmbeddedChannel) throws -> [MQTTPacket] {
        while let bytes = try channel.readOutbound(as: ByteBuffer.self) {
            var copy = bytes
            self.buffer.writeBuffer(&copy)
        }
        var packets: [MQTTPacket] = []
        while let packet = try self.decoder.decodePacket(buffer: &self.buffer) {
            packets.append(packet)
        }
        return packets
    }
}

func encode(_ packet: MQTTPacket, version: ProtocolVersion = .v3_1_1) -> ByteBuffer {
    var buffer = ByteBuffer()
    MQTTPacketEncoder.encode(packet, version: version, into: &buffer)
    return buffer
}

@Suite("Client handler over EmbeddedChannel")
struct ClientHandlerTests {
    @Test("CONNECT, CONNACK, SUBSCRIBE, a QoS 1 delivery with PUBACK, publish, DISCONNECT")
    func tcpFlow() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1883)).wait()
        let delegate = RecordingDelegate()
        try MQTTClientConnection.start(
            on: channel, configuration: MQTTClientConfiguration(clientID: "c1", keepAlive: 30),
            resources: MQTTClientLoopResources(), delegate: delegate, tag: 4)
        var server = ServerSide()
        guard case .connect(let connect) = try #require(try server.packets(from: channel).first) else {
            Issue.record("no CONNECT")
            return
        }
        #expect(connect.clientID == "c1")
        #expect(connect.keepAlive == 30)

        try channel.writeInbound(encode(.connack(ConnAckPacket(sessionPresent: false, reasonCode: .success))))
        let connection = try #require(delegate.connection)
        #expect(connection.tag == 4)
        #expect(connection.isConnected)

        #expect(connection.subscribe([("room/1", .atLeastOnce)]) == 1)
        guard case .subscribe(let subscribe) = try #require(try server.packets(from: channel).first) else {
            Issue.record("no SUBSCRIBE")
            return
        }
        #expect(subscribe.subscriptions.map(\.topicFilter) == ["room/1"])
        try channel.writeInbound(encode(.suback(SubAckPacket(packetID: 1, reasonCodes: [.grantedQoS1]))))
        #expect(delegate.subacks.count == 1)

        // Two packets in one read, the second split across reads.
        var bytes = encode(.publish(PublishPacket(topic: "room/1", payload: ByteBuffer(string: "hi"), qos: .atLeastOnce, packetID: 3)))
        var second = encode(.publish(PublishPacket(topic: "room/1", payload: ByteBuffer(string: "yo"))))
        bytes.writeBytes(second.readBytes(length: 3)!)
        try channel.writeInbound(bytes)
        try channel.writeInbound(second)
        #expect(delegate.received.map { String(buffer: $0.payload) } == ["hi", "yo"])
        guard case .puback(let ack) = try #require(try server.packets(from: channel).first) else {
            Issue.record("no PUBACK")
            return
        }
        #expect(ack.packetID == 3)

        #expect(connection.publish(topic: "room/1", payload: ByteBuffer(string: "out"), qos: .atMostOnce) == .send(packetID: nil))
        guard case .publish(let publish) = try #require(try server.packets(from: channel).first) else {
            Issue.record("no PUBLISH")
            return
        }
        #expect(String(buffer: publish.payload) == "out")

        connection.disconnect()
        guard case .disconnect = try #require(try server.packets(from: channel).first) else {
            Issue.record("no DISCONNECT")
            return
        }
        channel.embeddedEventLoop.run()
        #expect(delegate.closed == [nil])
        #expect(!channel.isActive)
    }

    @Test("a malformed packet from the server closes with an error")
    func malformed() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1883)).wait()
        let delegate = RecordingDelegate()
        try MQTTClientConnection.start(
            on: channel, configuration: MQTTClientConfiguration(clientID: "c1"),
            resources: MQTTClientLoopResources(), delegate: delegate, tag: 0)
        try channel.writeInbound(ByteBuffer(bytes: [0x00, 0x00]))  // packet type 0 is reserved
        channel.embeddedEventLoop.run()
        #expect(delegate.closed.count == 1)
        #expect(delegate.closed.first??.contains("malformed") == true)
    }

    @Test("no CONNACK within the connect timeout closes")
    func connectTimeout() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1883)).wait()
        let delegate = RecordingDelegate()
        try MQTTClientConnection.start(
            on: channel, configuration: MQTTClientConfiguration(clientID: "c1", connectTimeout: .seconds(5)),
            resources: MQTTClientLoopResources(), delegate: delegate, tag: 0)
        channel.embeddedEventLoop.advanceTime(by: .seconds(6))
        #expect(delegate.closed.first??.contains("CONNACK") == true)
    }
}

@Suite("WebSocket client transport over EmbeddedChannel")
struct WebSocketTransportTests {
    /// Runs the handshake with a server answer built by `WebSocketHandshake.evaluate` plus `extra`.
    static func open(deflate: Bool, answer extensions: String?) throws -> (EmbeddedChannel, RecordingDelegate) {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
        let delegate = RecordingDelegate()
        try MQTTClientConnection.start(
            on: channel,
            configuration: MQTTClientConfiguration(
                clientID: "w1", transport: .webSocket(host: "127.0.0.1:8080", path: "/mqtt", deflate: deflate)),
            resources: MQTTClientLoopResources(), delegate: delegate, tag: 0)
        // Only the upgrade request is out: CONNECT waits for the 101.
        let request = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        let head = String(buffer: request)
        #expect(head.hasPrefix("GET /mqtt HTTP/1.1\r\n"))
        #expect(head.contains("permessage-deflate") == deflate)
        let lines = head.split(separator: "\r\n").dropFirst()
        let headers = lines.map { line -> (String, String) in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), String(line[line.index(after: colon)...].drop(while: { $0 == " " })))
        }
        guard case .accept(let accepted) = WebSocketHandshake.evaluate(
            method: "GET", version: (1, 1), uri: "/mqtt", headers: headers)
        else {
            Issue.record("request refused")
            throw CancellationError()
        }
        var response = "HTTP/1.1 101 Switching Protocols\r\n"
        for (name, value) in accepted.headers { response += "\(name): \(value)\r\n" }
        if let extensions { response += "Sec-WebSocket-Extensions: \(extensions)\r\n" }
        response += "\r\n"
        try channel.writeInbound(ByteBuffer(string: response))
        return (channel, delegate)
    }

    /// Unmasks the client's frames as the server's parser does and returns the MQTT bytes.
    static func clientBytes(_ channel: EmbeddedChannel) throws -> ByteBuffer {
        var parser = WebSocketFrameParser(role: .server)
        var all = ByteBuffer()
        while var bytes = try channel.readOutbound(as: ByteBuffer.self) {
            while let frame = try parser.next(&bytes) {
                #expect(frame.opcode == .binary)
                var payload = frame.payload
                all.writeBuffer(&payload)
            }
        }
        return all
    }

    @Test("after the 101, CONNECT leaves as a masked binary frame and CONNACK is read from a frame")
    func handshakeAndConnect() throws {
        let (channel, delegate) = try Self.open(deflate: false, answer: nil)
        var mqtt = try Self.clientBytes(channel)
        var decoder = MQTTPacketDecoder()
        guard case .connect(let connect) = try #require(try decoder.decodePacket(buffer: &mqtt)) else {
            Issue.record("no CONNECT")
            return
        }
        #expect(connect.clientID == "w1")
        var frame = ByteBuffer()
        WebSocketFrameEncoder.encode(
            WebSocketFrame(opcode: .binary, payload: encode(.connack(ConnAckPacket(sessionPresent: false, reasonCode: .success)))),
            into: &frame)
        try channel.writeInbound(frame)
        #expect(delegate.connected.count == 1)
        #expect(delegate.connection?.webSocketDeflate == nil)
    }

    @Test("with deflate accepted, a compressed message is inflated")
    func deflate() throws {
        let (channel, delegate) = try Self.open(
            deflate: true, answer: "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        _ = try Self.clientBytes(channel)
        var frame = ByteBuffer()
        WebSocketFrameEncoder.encode(
            WebSocketFrame(opcode: .binary, payload: encode(.connack(ConnAckPacket(sessionPresent: false, reasonCode: .success)))),
            into: &frame)
        try channel.writeInbound(frame)
        #expect(delegate.connection?.webSocketDeflate?.serverNoContextTakeover == true)

        // A PUBLISH deflated by the server's compressor, sent with RSV1 (RFC 7692 §6).
        let publish = encode(.publish(PublishPacket(topic: "room/1", payload: ByteBuffer(repeating: 0x61, count: 500))))
        let compressor = try DeflateCompressor(level: 6, windowBits: 15)
        let compressed = compressor.compress(publish, allocator: ByteBufferAllocator())
        var message = ByteBuffer()
        WebSocketFrameEncoder.encode(WebSocketFrame(rsv1: true, opcode: .binary, payload: compressed), into: &message)
        try channel.writeInbound(message)
        #expect(delegate.received.count == 1)
        #expect(delegate.received.first?.payload == ByteBuffer(repeating: 0x61, count: 500))
    }

    @Test("a ping is answered with a masked pong carrying the same data (RFC 6455 §5.5.2)")
    func ping() throws {
        let (channel, _) = try Self.open(deflate: false, answer: nil)
        _ = try Self.clientBytes(channel)
        var frame = ByteBuffer()
        WebSocketFrameEncoder.encode(WebSocketFrame(opcode: .ping, payload: ByteBuffer(string: "tick")), into: &frame)
        try channel.writeInbound(frame)
        var pong = try #require(try channel.readOutbound(as: ByteBuffer.self))
        var parser = WebSocketFrameParser(role: .server)  // the server's parser insists on the mask
        let parsed = try #require(try parser.next(&pong))
        #expect(parsed.opcode == .pong)
        #expect(String(buffer: parsed.payload) == "tick")
    }

    @Test("a masked frame from the server fails the connection (RFC 6455 §5.1)")
    func maskedFromServer() throws {
        let (channel, delegate) = try Self.open(deflate: false, answer: nil)
        _ = try Self.clientBytes(channel)
        var frame = ByteBuffer()
        WebSocketFrameEncoder.encodeMasked(
            WebSocketFrame(opcode: .binary, payload: ByteBuffer(bytes: [0x20, 0x02, 0, 0])),
            maskingKey: WebSocketMaskingKey(1, 2, 3, 4), into: &frame)
        try channel.writeInbound(frame)
        channel.embeddedEventLoop.run()
        #expect(delegate.connected.isEmpty)
        #expect(delegate.closed.first??.contains("masked") == true)
    }

    @Test("a wrong Sec-WebSocket-Accept fails the connection before CONNECT")
    func badAccept() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
        let delegate = RecordingDelegate()
        try MQTTClientConnection.start(
            on: channel,
            configuration: MQTTClientConfiguration(
                clientID: "w1", transport: .webSocket(host: "h", path: "/mqtt", deflate: false)),
            resources: MQTTClientLoopResources(), delegate: delegate, tag: 0)
        _ = try channel.readOutbound(as: ByteBuffer.self)
        try channel.writeInbound(
            ByteBuffer(
                string: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"))
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "CONNECT must not leave")
        #expect(delegate.closed.first??.contains("Sec-WebSocket-Accept") == true)
    }
}
