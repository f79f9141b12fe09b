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
import NIOPosix
import NIOSSL
import SwiftletBroker
import SwiftletWebSocket

/// The HTTP listener (DESIGN §1): `GET /mqtt` upgrades to MQTT over WebSocket, every other
/// GET/HEAD is served from the web root. With a TLS context it is the HTTPS/WSS listener.
enum HTTPListener {
    struct Settings: Sendable {
        var handshake: WebSocketHandshake.Configuration
        var deflate: PerMessageDeflateNegotiation.Configuration
        var staticFiles: StaticFileHandler.Configuration
        /// What MQTT-over-WebSocket clients of this listener may authenticate with.
        var authenticationModes: AuthenticationModes = .all
    }

    static func bind(
        address: ListenAddress,
        settings: Settings,
        tls: NIOSSLContext?,
        broker: Broker,
        group: any EventLoopGroup,
        logger: Logger
    ) -> EventLoopFuture<any Channel> {
        let transport = tls == nil ? "ws" : "wss"
        let registry = WebSocketLoopResourcesRegistry(compressionLevel: settings.deflate.compressionLevel)
        let outboundLimit = broker.configuration.maxOutboundBytes
        // One upgrader for all connections: it holds only configuration.
        let upgrader = MQTTWebSocketUpgrader(
            handshake: settings.handshake, deflate: settings.deflate, broker: broker,
            transport: transport, authenticationModes: settings.authenticationModes, resources: registry,
            logger: logger)
        return ServerBootstrap.swiftletListener(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.configureSwiftletConnection(outboundLimit: outboundLimit, allowRemoteHalfClosure: false)
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try configure(
                        pipeline: pipeline, settings: settings, upgrader: upgrader,
                        threadPool: NIOThreadPool.singleton, logger: logger)
                }
            }
            .bind(host: address.host, port: address.port)
    }

    /// The HTTP handlers of one connection, after TLS if any: NIOHTTP1's server pipeline with the
    /// WebSocket upgrader and the Host check (`configureSwiftletHTTPServer`), then
    /// ``WebSocketPathGuard`` for the WebSocket path and ``StaticFileHandler`` for the rest.
    /// Call on the channel's loop.
    static func configure(
        pipeline: ChannelPipeline.SynchronousOperations, settings: Settings, upgrader: MQTTWebSocketUpgrader,
        threadPool: NIOThreadPool, logger: Logger
    ) throws {
        try pipeline.configureSwiftletHTTPServer(
            maxRequestHeadSize: settings.staticFiles.maxRequestHeadSize,
            upgrade: (
                upgraders: [upgrader],
                completionHandler: { context in
                    // The connection speaks WebSocket from now on: no more HTTP routing.
                    context.pipeline.removeHandler(name: WebSocketPathGuard.name, promise: nil)
                }
            ),
            logger: logger)
        try pipeline.addHandler(
            WebSocketPathGuard(configuration: settings.handshake, logger: logger), name: WebSocketPathGuard.name)
        try pipeline.addHandler(
            StaticFileHandler(configuration: settings.staticFiles, threadPool: threadPool, logger: logger))
    }
}
