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
import SwiftletServer
import Synchronization
import Testing

/// Wire fixtures for the socket tests, byte by byte.
enum Wire {
    /// A named CONNECT, for parameterised tests.
    struct Connect: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var bytes: [UInt8]
    }

    // MARK: CONNECT

    /// MQTT 3.1.1 CONNECT, client ID "raw311", clean session, keep-alive 60 s (MQTT 3.1.1 §3.1).
    static let connect311: [UInt8] = [
        0x10, 0x12,  // CONNECT, remaining length 18
        0x00, 0x04, 0x4D, 0x51, 0x54, 0x54,  // protocol name "MQTT"
        0x04,  // protocol level 4: 3.1.1
        0x02,  // connect flags: clean session
        0x00, 0x3C,  // keep alive 60 s
        0x00, 0x06, 0x72, 0x61, 0x77, 0x33, 0x31, 0x31,  // client identifier "raw311"
    ]

    /// MQTT 3.1 CONNECT, client ID "raw31", clean session, keep-alive 60 s (MQTT 3.1 §3.1).
    static let connect31: [UInt8] = [
        0x10, 0x13,  // CONNECT, remaining length 19
        0x00, 0x06, 0x4D, 0x51, 0x49, 0x73, 0x64, 0x70,  // protocol name "MQIsdp"
        0x03,  // protocol version 3: 3.1
        0x02,  // connect flags: clean session
        0x00, 0x3C,  // keep alive 60 s
        0x00, 0x05, 0x72, 0x61, 0x77, 0x33, 0x31,  // client identifier "raw31"
    ]

    /// MQTT 5 CONNECT, client ID "raw5", clean start, keep-alive 60 s, no properties (MQTT 5 §3.1).
    static let connect5: [UInt8] = [
        0x10, 0x11,  // CONNECT, remaining length 17
        0x00, 0x04, 0x4D, 0x51, 0x54, 0x54,  // protocol name "MQTT"
        0x05,  // protocol version 5
        0x02,  // connect flags: clean start
        0x00, 0x3C,  // keep alive 60 s
        0x00,  // properties length 0
        0x00, 0x04, 0x72, 0x61, 0x77, 0x35,  // client identifier "raw5"
    ]

    /// MQTT 5 CONNECT, client ID "raw5q", asking for no reason strings (MQTT 5 §3.1.2.11.7).
    static let connect5NoProblemInformation: [UInt8] = [
        0x10, 0x14,  // CONNECT, remaining length 20
        0x00, 0x04, 0x4D, 0x51, 0x54, 0x54,  // protocol name "MQTT"
        0x05,  // protocol version 5
        0x02,  // connect flags: clean start
        0x00, 0x3C,  // keep alive 60 s
        0x02,  // properties length 2
        0x17, 0x00,  // Request Problem Information 0
        0x00, 0x05, 0x72, 0x61, 0x77, 0x35, 0x71,  // client identifier "raw5q"
    ]

    /// CONNECT with protocol level 6, which no MQTT version has [MQTT-3.1.2-2].
    static let connectLevel6: [UInt8] = [
        0x10, 0x0D,  // CONNECT, remaining length 13
        0x00, 0x04, 0x4D, 0x51, 0x54, 0x54,  // protocol name "MQTT"
        0x06,  // protocol level 6: unsupported
        0x02,  // connect flags: clean session
        0x00, 0x3C,  // keep alive 60 s
        0x00, 0x01, 0x78,  // client identifier "x"
    ]

    /// CONNECT with an unknown protocol name [MQTT-3.1.2-1].
    static let connectUnknownName: [UInt8] = [
        0x10, 0x0D,  // CONNECT, remaining length 13
        0x00, 0x04, 0x4D, 0x51, 0x54, 0x58,  // protocol name "MQTX"
        0x04,  // protocol level 4
        0x02,  // connect flags: clean session
        0x00, 0x3C,  // keep alive 60 s
        0x00, 0x01, 0x78,  // client identifier "x"
    ]

    // MARK: CONNACK

    /// CONNACK accepting a 3.1 or 3.1.1 client (MQTT 3.1.1 §3.2).
    static let connAckAccepted: [UInt8] = [
        0x20, 0x02,  // CONNACK, remaining length 2
        0x00,  // acknowledge flags: no session present
        0x00,  // return code 0x00: connection accepted
    ]

    /// CONNACK refusing an unsupported protocol, in the 3.1.1 form [MQTT-3.1.2-2].
    static let connAckUnacceptableProtocol: [UInt8] = [
        0x20, 0x02,  // CONNACK, remaining length 2
        0x00,  // acknowledge flags: no session present
        0x01,  // return code 0x01: unacceptable protocol version
    ]

    /// CONNACK accepting an MQTT 5 client with the default limits (MQTT 5 §3.2).
    static let connAck5Accepted: [UInt8] = [
        0x20, 0x0E,  // CONNACK, remaining length 14
        0x00,  // acknowledge flags: no session present
        0x00,  // reason code 0x00: success
        0x0B,  // properties length 11
        0x21, 0x00, 0x20,  // Receive Maximum 32 (max-inflight)
        0x27, 0x00, 0x10, 0x00, 0x00,  // Maximum Packet Size 1048576 (max-packet-size)
        0x22, 0x00, 0x40,  // Topic Alias Maximum 64 (topic-alias-maximum)
    ]

    // MARK: DISCONNECT

    /// DISCONNECT from a 3.1.1 client (MQTT 3.1.1 §3.14).
    static let disconnect311: [UInt8] = [
        0xE0, 0x00,  // DISCONNECT, remaining length 0
    ]

    /// DISCONNECT 0x8B (server shutting down) with a reason string (MQTT 5 §3.14).
    static let disconnectServerShuttingDown: [UInt8] =
        [
            0xE0, 0x19,  // DISCONNECT, remaining length 25
            0x8B,  // reason code 0x8B: server shutting down
            0x17,  // properties length 23
            0x1F, 0x00, 0x14,  // Reason String, 20 bytes:
        ] + Array("server shutting down".utf8)

    /// DISCONNECT 0x8B to a client that asked for no reason strings: a bare reason code.
    static let disconnectServerShuttingDownBare: [UInt8] = [
        0xE0, 0x01,  // DISCONNECT, remaining length 1
        0x8B,  // reason code 0x8B: server shutting down; no properties (MQTT 5 §3.14.2.2.1)
    ]
}

/// A started `BrokerServer` on `127.0.0.1:0` with one event loop thread.
final class RunningServer: Sendable {
    let server: BrokerServer
    let port: Int
    private let stopped = Mutex(false)

    init() throws {
        var configuration = ServerConfiguration()
        try configuration.apply(key: "mqtt", value: "127.0.0.1:0")
        try configuration.apply(key: "http", value: "off")
        try configuration.apply(key: "admin", value: "off")
        try configuration.apply(key: "threads", value: "1")
        var logger = Logger(label: "swiftlet.test")
        logger.logLevel = .critical
        server = BrokerServer(configuration: configuration, logger: logger)
        #expect(server.boundPorts.isEmpty, "nothing is bound before start()")
        try server.start()
        port = try #require(server.boundPorts["mqtt"])
        #expect(port != 0, "boundPorts reports the real port, not the configured 0")
    }

    /// Shuts the server down and stops its threads, once. `syncShutdown()` must not run twice:
    /// its second `shutdown().wait()` would wait on a future of a stopped event loop for ever.
    func stop() async throws {
        let alreadyStopped = stopped.withLock { stopped in
            defer { stopped = true }
            return stopped
        }
        guard !alreadyStopped else { return }
        try await server.shutdown().get()
        // `syncShutdown()` blocks: keep it off the cooperative pool.
        try await NIOThreadPool.singleton.runIfActive { [server] in try server.syncShutdown() }
    }
}

/// Runs `body` with a started server and a client event loop group; stops both when `body`
/// returns or throws.
func withServer(
    _ body: (_ running: RunningServer, _ clients: MultiThreadedEventLoopGroup) async throws -> Void
) async throws {
    let running = try RunningServer()
    let clients = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let outcome: Result<Void, any Error>
    do {
        try await body(running, clients)
        outcome = .success(())
    } catch {
        outcome = .failure(error)
    }
    try await running.stop()
    try await clients.shutdownGracefully()
    try outcome.get()
}

@Suite("BrokerServer over real sockets", .timeLimit(.minutes(1)))
struct BrokerServerTests {
    @Test(
        "CONNECT is acknowledged and DISCONNECT closes",
        arguments: [
            Wire.Connect(testDescription: "MQTT 3.1", bytes: Wire.connect31),
            Wire.Connect(testDescription: "MQTT 3.1.1", bytes: Wire.connect311),
        ]
    )
    func connectAndDisconnect(_ connect: Wire.Connect) async throws {
        try await withServer { running, clients in
            let port = running.port
            try await RawMQTTConnection.with(port: port, group: clients) { connection in
                try await connection.send(connect.bytes)
                #expect(try await connection.receive(4) == Wire.connAckAccepted)
                try await connection.send(Wire.disconnect311)
                // The server closes after DISCONNECT, sending nothing more.
                #expect(try await connection.receiveUntilClosed() == [])
            }
        }
    }

    @Test(
        "an unsupported protocol is refused with return code 0x01, then closed",
        arguments: [
            Wire.Connect(testDescription: "protocol level 6", bytes: Wire.connectLevel6),
            Wire.Connect(testDescription: "protocol name MQTX", bytes: Wire.connectUnknownName),
        ]
    )
    func unsupportedProtocol(_ connect: Wire.Connect) async throws {
        try await withServer { running, clients in
            let port = running.port
            try await RawMQTTConnection.with(port: port, group: clients) { connection in
                try await connection.send(connect.bytes)
                // [MQTT-3.1.2-2]: CONNACK 0x01, then the server closes the connection.
                #expect(try await connection.receiveUntilClosed() == Wire.connAckUnacceptableProtocol)
            }
        }
    }

    @Test("shutdown sends MQTT 5 clients DISCONNECT 0x8B before closing, and stops listening")
    func shutdownDisconnects() async throws {
        try await withServer { running, clients in
            let server = running.server
            let port = running.port
            try await RawMQTTConnection.with(port: port, group: clients) { v5 in
                try await v5.send(Wire.connect5)
                #expect(try await v5.receive(Wire.connAck5Accepted.count) == Wire.connAck5Accepted)

                try await RawMQTTConnection.with(port: port, group: clients) { v5Quiet in
                    try await v5Quiet.send(Wire.connect5NoProblemInformation)
                    #expect(try await v5Quiet.receive(Wire.connAck5Accepted.count) == Wire.connAck5Accepted)

                    try await RawMQTTConnection.with(port: port, group: clients) { v311 in
                        try await v311.send(Wire.connect311)
                        #expect(try await v311.receive(4) == Wire.connAckAccepted)

                        try await server.shutdown().get()

                        // 3.1.1 has no server DISCONNECT: the socket just closes.
                        #expect(try await v311.receiveUntilClosed() == [])
                    }
                    #expect(try await v5Quiet.receiveUntilClosed() == Wire.disconnectServerShuttingDownBare)
                }
                // Everything up to the close: exactly one DISCONNECT, so it arrived before the close.
                #expect(try await v5.receiveUntilClosed() == Wire.disconnectServerShuttingDown)
            }

            // The listener is closed: a new connection is refused.
            await #expect(throws: (any Error).self) {
                try await RawMQTTConnection.with(port: port, group: clients) { _ in }
            }
            // Shutting down again is harmless.
            try await server.shutdown().get()
        }
    }

    @Test("stopping the server also closes a socket that never sent CONNECT")
    func stopClosesIdleSocket() async throws {
        try await withServer { running, clients in
            try await RawMQTTConnection.with(port: running.port, group: clients) { idle in
                try await RawMQTTConnection.with(port: running.port, group: clients) { client in
                    try await client.send(Wire.connect311)
                    // One event loop accepts in order: once this client is acknowledged, the idle
                    // socket that connected before it has been accepted too.
                    #expect(try await client.receive(4) == Wire.connAckAccepted)
                    try await running.stop()
                    #expect(try await client.receiveUntilClosed() == [])
                }
                // `shutdown()` alone has no session to disconnect here, so the socket would stay
                // open until the connect timeout; stopping the event loops closes it.
                #expect(try await idle.receiveUntilClosed() == [])
            }
        }
    }
}
