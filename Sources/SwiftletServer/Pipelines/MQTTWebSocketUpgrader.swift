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
import NIOHTTP1
import SwiftletBroker
import SwiftletWebSocket

/// Upgrades `GET /mqtt` to MQTT over WebSocket, plugged into NIOHTTP1's upgrade machinery (which
/// buffers and replays bytes that arrive during the switch). The handshake rules are
/// `WebSocketHandshake`'s, written in this project; a request it refuses is not upgraded and goes
/// on to `WebSocketPathGuard`, which answers it with the right status.
struct MQTTWebSocketUpgrader: HTTPServerProtocolUpgrader, Sendable {
    let supportedProtocol = "websocket"
    /// Header names NIOHTTP1 would require in `Connection`; the handshake checks its own.
    let requiredUpgradeHeaders: [String] = []

    let handshake: WebSocketHandshake.Configuration
    let deflate: PerMessageDeflateNegotiation.Configuration
    let broker: Broker
    let transport: String
    let authenticationModes: AuthenticationModes
    let resources: WebSocketLoopResourcesRegistry
    let logger: Logger
    /// `logger` with the transport in its metadata, made once: a logger with metadata of its own
    /// made per connection would cost every idle connection a copy of it.
    let bridgeLogger: Logger

    init(
        handshake: WebSocketHandshake.Configuration,
        deflate: PerMessageDeflateNegotiation.Configuration,
        broker: Broker,
        transport: String,
        authenticationModes: AuthenticationModes = .all,
        resources: WebSocketLoopResourcesRegistry,
        logger: Logger
    ) {
        self.handshake = handshake
        self.deflate = deflate
        self.broker = broker
        self.transport = transport
        self.authenticationModes = authenticationModes
        self.resources = resources
        self.logger = logger
        var bridgeLogger = logger
        bridgeLogger[metadataKey: "transport"] = "\(transport)"
        self.bridgeLogger = bridgeLogger
    }

    func buildUpgradeResponse(
        channel: any Channel,
        upgradeRequest: HTTPRequestHead,
        initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        switch evaluate(upgradeRequest) {
        case .reject(let status, _, let reason):
            return channel.eventLoop.makeFailedFuture(HandshakeRefused(status: status, reason: reason))
        case .accept(let accepted):
            var headers = initialResponseHeaders
            // NIOHTTP1 already set Upgrade and Connection.
            for (name, value) in accepted.headers {
                let lowered = name.lowercased()
                if lowered != "upgrade" && lowered != "connection" { headers.add(name: name, value: value) }
            }
            if let negotiated = negotiate(accepted) {
                headers.add(name: "Sec-WebSocket-Extensions", value: negotiated.headerValue)
            }
            return channel.eventLoop.makeSucceededFuture(headers)
        }
    }

    func upgrade(context: ChannelHandlerContext, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Void> {
        // NIO upgrades only after `buildUpgradeResponse` accepted this same request and its answer
        // went out: only the extension negotiation is needed again, not the whole handshake check
        // (about 5 % of the CPU time of a WebSocket connection set-up, in a profile of 10,000).
        let offers = WebSocketHandshake.extensionOffers(in: upgradeRequest.headers.map { ($0.name, $0.value) })
        let negotiated = PerMessageDeflateNegotiation.negotiate(offers: offers, configuration: deflate)
        let bridge = WebSocketMQTTBridge(
            maxMessageSize: broker.configuration.maxPacketSize + 1024,
            deflate: negotiated.map { (deflate, $0.parameters) },
            resources: resources.resources(for: context.eventLoop),
            logger: bridgeLogger)
        let mqtt = MQTTConnectionHandler(broker: broker, transport: transport, logger: logger)
        mqtt.authenticationModes = authenticationModes
        return context.eventLoop.makeCompletedFuture {
            try context.pipeline.syncOperations.addHandlers([bridge, mqtt])
        }
    }

    private func evaluate(_ request: HTTPRequestHead) -> WebSocketHandshake.Outcome {
        WebSocketHandshake.evaluate(
            method: request.method.rawValue,
            version: (Int(request.version.major), Int(request.version.minor)),
            uri: request.uri,
            headers: request.headers.map { ($0.name, $0.value) },
            configuration: handshake)
    }

    private func negotiate(_ accepted: WebSocketHandshake.Accepted) -> PerMessageDeflateNegotiation.Response? {
        PerMessageDeflateNegotiation.negotiate(offers: accepted.extensionOffers, configuration: deflate)
    }
}

/// A handshake the upgrader refused; the request then reaches `WebSocketPathGuard`.
struct HandshakeRefused: Error {
    var status: Int
    var reason: String
}

/// Answers every request for the WebSocket path that was not upgraded: a bad or missing
/// handshake gets 400, 405 or 426 (RFC 6455 §4.2.1, §4.4) instead of a static file lookup.
final class WebSocketPathGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The handler's name in the pipeline, for removing it when the connection upgrades.
    static let name = "swiftlet.websocket-path-guard"

    private let configuration: WebSocketHandshake.Configuration
    private let logger: Logger
    private var answering = false

    init(configuration: WebSocketHandshake.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head):
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            guard path == configuration.path else {
                answering = false
                context.fireChannelRead(data)
                return
            }
            answering = true
            let outcome = WebSocketHandshake.evaluate(
                method: head.method.rawValue,
                version: (Int(head.version.major), Int(head.version.minor)),
                uri: head.uri,
                headers: head.headers.map { ($0.name, $0.value) },
                configuration: configuration)
            let refusal: (status: Int, headers: [(String, String)], reason: String)
            switch outcome {
            case .reject(let status, let headers, let reason):
                refusal = (status, headers, reason)
            case .accept:
                // Well-formed but not upgraded (NIOHTTP1 found no Upgrade it serves): still not a page.
                refusal = (400, [], "WebSocket upgrade required")
            }
            let (status, extraHeaders, reason) = refusal
            logger.info("WebSocket handshake refused", metadata: ["status": "\(status)", "reason": "\(reason)"])
            var headers = HTTPHeaders(extraHeaders)
            let body = ByteBuffer(string: reason + "\n")
            headers.replaceOrAdd(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.replaceOrAdd(name: "Content-Length", value: "\(body.readableBytes)")
            headers.replaceOrAdd(name: "Connection", value: "close")
            let responseHead = HTTPResponseHead(
                version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
            context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
            if head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case .body, .end:
            if !answering { context.fireChannelRead(data) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // NIOHTTP1 reports a refused upgrade as an error and then passes the request on: the
        // request itself is answered above.
        if error is HandshakeRefused { return }
        context.fireErrorCaught(error)
    }
}
