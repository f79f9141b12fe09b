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
import NIOHTTP1
import NIOPosix
import SwiftletBroker
import SwiftletWebSocket
import Testing

@testable import SwiftletServer

/// RFC 9112 §3.2: the Host rule as plain values, the validator on its own, and the HTTP listener's
/// whole pipeline (static files and the WebSocket upgrade) on an `EmbeddedChannel`. The admin
/// listener's answers are in ``AdminHTTPHandlerTests``.
@Suite("Host field (RFC 9112 §3.2)")
struct HTTPHostFieldTests {
    @Test(
        "one Host is required from HTTP/1.1 on; more than one is refused in every version",
        arguments: [
            (HTTPVersion.http1_1, [("Host", "a")], nil),
            (.http1_1, [], .missing),
            (.http1_1, [("host", "a"), ("HOST", "b")], .repeated(count: 2)),
            (.http1_1, [("Host", "a, b")], nil),  // one field line, however wrong its value
            (.http1_1, [("Host", "")], nil),  // RFC 9112 §3.2: empty when the authority is
            (.http1_0, [], nil),
            (.http1_0, [("Host", "a")], nil),
            (.http1_0, [("Host", "a"), ("Host", "a")], .repeated(count: 2)),
            (HTTPVersion(major: 2, minor: 0), [], .missing),
        ] as [(HTTPVersion, [(String, String)], HTTPHostField.Problem?)]
    )
    func rule(version: HTTPVersion, fields: [(String, String)], expected: HTTPHostField.Problem?) {
        #expect(HTTPHostField.problem(version: version, headers: HTTPHeaders(fields)) == expected)
    }

    @Test("the validator passes a good request on, refuses a bad one and drops what follows it")
    func validator() throws {
        let channel = EmbeddedChannel(handler: HTTPHostFieldValidator(logger: Self.logger))
        let old = HTTPRequestHead(version: .http1_0, method: .GET, uri: "/")
        try channel.writeInbound(HTTPServerRequestPart.head(old))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) == .head(old))
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) == .end(nil))

        let bad = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/metrics")
        #expect(throws: HTTPRequestRefusal.self) { try channel.writeInbound(HTTPServerRequestPart.head(bad)) }
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        let next = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: ["Host": "a"])
        try channel.writeInbound(HTTPServerRequestPart.head(next))
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) == nil)
        _ = try channel.finish()
    }

    // MARK: - The HTTP listener's pipeline

    static let logger: Logger = {
        var logger = Logger(label: "swiftlet.test")
        logger.logLevel = .critical
        return logger
    }()

    static let upgradeFields =
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n"

    /// A connection of the HTTP listener (static files and `GET /mqtt`), without TLS.
    private func makeHTTPChannel() throws -> EmbeddedChannel {
        let broker = Broker(configuration: BrokerConfiguration(), logger: Self.logger)
        let settings = HTTPListener.Settings(
            handshake: WebSocketHandshake.Configuration(path: "/mqtt"),
            deflate: PerMessageDeflateNegotiation.Configuration(),
            staticFiles: StaticFileHandler.Configuration(root: "/nonexistent"))
        let upgrader = MQTTWebSocketUpgrader(
            handshake: settings.handshake, deflate: settings.deflate, broker: broker, transport: "ws",
            resources: WebSocketLoopResourcesRegistry(), logger: Self.logger)
        let channel = EmbeddedChannel()
        // Refusals never reach the file system, so the pool is never used.
        try HTTPListener.configure(
            pipeline: channel.pipeline.syncOperations, settings: settings, upgrader: upgrader,
            threadPool: NIOThreadPool.singleton, logger: Self.logger)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    /// Sends `request` and returns everything written back.
    private func exchange(_ channel: EmbeddedChannel, _ request: String) throws -> String {
        try channel.writeInbound(ByteBuffer(string: request))
        channel.embeddedEventLoop.run()
        var bytes = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) {
            bytes.writeBuffer(&part)
        }
        return String(buffer: bytes)
    }

    @Test(
        "static files: HTTP/1.1 without Host, or two Host fields, is 400 with the reason and closes",
        arguments: [
            ("GET /index.html HTTP/1.1\r\n\r\n", "an HTTP/1.1 request needs a Host header field"),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "2 Host header fields"),
            ("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", "2 Host header fields"),
            ("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", "an HTTP/1.1 request needs a Host header field"),
        ]
    )
    func staticFiles(request: String, reason: String) throws {
        let channel = try makeHTTPChannel()
        defer { _ = try? channel.finish() }
        let response = try exchange(channel, request)
        #expect(response.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(response)")
        #expect(response.contains("\r\nConnection: close\r\n"))
        #expect(response.contains("\r\n\r\n400 Bad Request: \(reason)"))
        // Nothing more is answered on this connection, not even a good pipelined request.
        #expect(try exchange(channel, "GET / HTTP/1.1\r\nHost: a\r\n\r\n").isEmpty)
    }

    @Test("a HEAD without Host gets the 400 without a body")
    func headRequest() throws {
        let channel = try makeHTTPChannel()
        defer { _ = try? channel.finish() }
        let response = try exchange(channel, "HEAD / HTTP/1.1\r\n\r\n")
        #expect(response.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(response.hasSuffix("\r\n\r\n"))
    }

    @Test("GET /mqtt without Host is 400 and does not upgrade")
    func upgradeWithoutHost() throws {
        let channel = try makeHTTPChannel()
        defer { _ = try? channel.finish() }
        let response = try exchange(channel, "GET /mqtt HTTP/1.1\r\n\(Self.upgradeFields)\r\n")
        #expect(response.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(response)")
        #expect(!response.contains("101"))
        #expect(throws: (any Error).self) { try channel.pipeline.syncOperations.handler(type: WebSocketMQTTBridge.self) }
    }

    @Test("GET /mqtt with Host upgrades, and the validator leaves the WebSocket connection")
    func upgradeWithHost() throws {
        let channel = try makeHTTPChannel()
        defer { _ = try? channel.finish() }
        let response = try exchange(channel, "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\n\(Self.upgradeFields)\r\n")
        #expect(response.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"), "\(response)")
        let pipeline = channel.pipeline.syncOperations
        #expect(throws: (any Error).self) { try pipeline.handler(type: HTTPHostFieldValidator.self) }
        _ = try pipeline.handler(type: WebSocketMQTTBridge.self)
    }
}
