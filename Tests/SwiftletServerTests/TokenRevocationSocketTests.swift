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
import SwiftletAuth
import SwiftletBroker
import SwiftletMQTT
import SwiftletServer
import Testing

/// `Broker.revokeToken` against clients on real sockets: until the admin API exposes it as a
/// route, this is where revocation is seen on the wire (the interop suite cannot call it).
@Suite("Token revocation over real sockets", .timeLimit(.minutes(1)))
struct TokenRevocationSocketTests {
    static func connect(_ version: ProtocolVersion, clientID: String, token: String) -> [UInt8] {
        var buffer = ByteBuffer()
        MQTTPacketEncoder.encode(
            .connect(
                ConnectPacket(
                    version: version, cleanStart: true, keepAlive: 60, clientID: clientID, will: nil,
                    username: "Token|DEV|inst", password: ByteBuffer(string: "RW|\(token)"), properties: [])),
            version: version, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    /// DISCONNECT 0x87 (not authorized) with the reason string "token revoked" (MQTT 5 §3.14).
    static let disconnectTokenRevoked: [UInt8] =
        [
            0xE0, 0x12,  // DISCONNECT, remaining length 18
            0x87,  // reason code 0x87: not authorized
            0x10,  // properties length 16
            0x1F, 0x00, 0x0D,  // Reason String, 13 bytes:
        ] + Array("token revoked".utf8)

    @Test("revoking a token sends its MQTT 5 client DISCONNECT 0x87 and closes its 3.1.1 client")
    func revokeOnTheWire() async throws {
        var configuration = ServerConfiguration()
        try configuration.apply(key: "mqtt", value: "127.0.0.1:0")
        try configuration.apply(key: "http", value: "off")
        try configuration.apply(key: "admin", value: "off")
        try configuration.apply(key: "threads", value: "2")
        try configuration.apply(key: "allow-anonymous", value: "false")
        try configuration.apply(key: "access-key", value: "DEV:dev-secret:device")
        var logger = Logger(label: "swiftlet.test")
        logger.logLevel = .critical
        let server = BrokerServer(configuration: configuration, logger: logger)
        try server.start()
        let port = try #require(server.boundPorts["mqtt"])
        let clients = MultiThreadedEventLoopGroup(numberOfThreads: 1)

        let token = try TokenCodec.issue(
            accessKeyID: "DEV", secretKey: "dev-secret", filters: ["chat/#"], actions: .readWrite, lifetime: 600,
            now: WallClock.now()
        ).encoded
        let outcome: Result<Void, any Error>
        do {
            try await RawMQTTConnection.with(port: port, group: clients) { v5 in
                try await v5.send(Self.connect(.v5, clientID: "revoked5", token: token))
                #expect(try await v5.receive(Wire.connAck5Accepted.count) == Wire.connAck5Accepted)
                try await RawMQTTConnection.with(port: port, group: clients) { v311 in
                    try await v311.send(Self.connect(.v3_1_1, clientID: "revoked311", token: token))
                    #expect(try await v311.receive(4) == Wire.connAckAccepted)

                    guard case .success(let status) = server.broker.revokeToken(token) else {
                        Issue.record("revocation failed")
                        return
                    }
                    #expect(status.state == .revoked)
                    // 3.1.1 has no server DISCONNECT: the socket just closes.
                    #expect(try await v311.receiveUntilClosed() == [])
                }
                #expect(try await v5.receiveUntilClosed() == Self.disconnectTokenRevoked)
            }
            // And the token no longer connects: CONNACK 0x86.
            try await RawMQTTConnection.with(port: port, group: clients) { again in
                try await again.send(Self.connect(.v5, clientID: "again", token: token))
                let connack = try await again.receiveUntilClosed()
                // CONNACK, no session present, reason code 0x86 (then its properties), then closed.
                #expect(connack.count >= 4 && connack[0] == 0x20 && connack[2] == 0x00 && connack[3] == 0x86)
            }
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try await server.shutdown().get()
        try await NIOThreadPool.singleton.runIfActive { try server.syncShutdown() }
        try await clients.shutdownGracefully()
        try outcome.get()
    }
}
