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
import NIOPosix
import NIOSSL
import SwiftletMQTT
import SwiftletWebSocket

/// One client connection: the handle the application keeps to publish, subscribe and close.
///
/// Confined to its event loop: create it with ``connect(to:bindingTo:configuration:resources:delegate:tag:on:)``
/// on that loop, and call every method there. The application hears back through its
/// ``MQTTClientDelegate``, also on that loop. No futures and no actor hops per message: the load
/// generator's cost per message is what it measures against (DESIGN §8).
package final class MQTTClientConnection {
    /// The connection's channel.
    package let channel: any Channel
    /// A number the application chose to find its own state for this connection.
    package let tag: Int
    private let handler: MQTTClientHandler
    private let transport: WebSocketClientTransport?

    private init(channel: any Channel, handler: MQTTClientHandler, transport: WebSocketClientTransport?, tag: Int) {
        self.channel = channel
        self.handler = handler
        self.transport = transport
        self.tag = tag
    }

    /// Whether CONNACK accepted the connection and it has not started closing.
    package var isConnected: Bool { self.handler.state == .connected }

    /// Outbound QoS 1/2 messages waiting for their acknowledgement, and the window.
    package var inflightCount: Int { self.handler.inflightCount }
    package var maximumInflight: Int { self.handler.maximumInflight }

    /// Over WebSocket: what the server answered to the permessage-deflate offer (`nil`: declined).
    package var webSocketDeflate: PerMessageDeflateNegotiation.ClientParameters? { self.transport?.deflate }

    /// Publishes a message.
    ///
    /// - Parameters:
    ///   - payload: Copied into the outgoing packet.
    ///   - flush: `false` to batch several publishes into one ``flush()``.
    /// - Returns: `.send` if the PUBLISH was written; `.inflightFull` (QoS 1/2) or `.notConnected`.
    @discardableResult
    package func publish(topic: String, payload: ByteBuffer, qos: QoS, flush: Bool = true)
        -> MQTTClientStateMachine.PublishAction
    {
        self.handler.publish(topic: topic, payload: payload, qos: qos, flush: flush)
    }

    /// Publishes a message with a RETAIN flag and MQTT 5 properties (ignored for 3.1.1).
    ///
    /// - Returns: `.send` if the PUBLISH was written; `.inflightFull` (QoS 1/2) or `.notConnected`.
    @discardableResult
    package func publish(
        topic: String, payload: ByteBuffer, qos: QoS, retain: Bool, properties: Properties, flush: Bool = true
    ) -> MQTTClientStateMachine.PublishAction {
        self.handler.publish(
            topic: topic, payload: payload, qos: qos, retain: retain, properties: properties, flush: flush)
    }

    /// Sends SUBSCRIBE with full options and MQTT 5 properties; the delegate hears the SUBACK.
    ///
    /// - Returns: The packet identifier, or `nil` when not connected.
    @discardableResult
    package func subscribe(_ requests: [SubscriptionRequest], properties: Properties) -> UInt16? {
        self.handler.subscribe(requests, properties: properties)
    }

    /// Sends UNSUBSCRIBE; the delegate hears the UNSUBACK.
    ///
    /// - Returns: The packet identifier, or `nil` when not connected.
    @discardableResult
    package func unsubscribe(_ filters: [String]) -> UInt16? {
        self.handler.unsubscribe(filters)
    }

    /// Sends PUBACK for an inbound QoS 1 message when the configuration asked for manual acknowledgement.
    package func acknowledge(packetID: UInt16) {
        self.handler.acknowledge(packetID: packetID)
    }

    /// Sends SUBSCRIBE; the delegate hears the SUBACK.
    ///
    /// - Returns: The packet identifier, or `nil` when not connected.
    @discardableResult
    package func subscribe(_ filters: [(String, QoS)]) -> UInt16? {
        self.handler.subscribe(filters)
    }

    /// Sends what earlier `publish(…, flush: false)` calls wrote.
    package func flush() {
        self.handler.flush()
    }

    /// Sends DISCONNECT and closes; the delegate's ``MQTTClientDelegate/clientClosed(_:error:)``
    /// follows with no error.
    package func disconnect() {
        self.handler.disconnect()
    }

    /// Opens a connection: TCP connect (from `source` if given), the WebSocket upgrade when the
    /// transport asks for it, then CONNECT. The delegate hears `clientConnected` on CONNACK,
    /// `clientClosed` if anything fails after TCP connected, `clientFailedToConnect` if TCP
    /// connect fails.
    ///
    /// Must be called on `eventLoop`.
    ///
    /// - Parameters:
    ///   - address: The server.
    ///   - source: A local address to bind before connecting (a 127.0.0.x spreads connections
    ///     over more source ports), or `nil`.
    ///   - configuration: The CONNECT and the transport.
    ///   - resources: The loop's shared resources.
    ///   - delegate: Hears the connection's events.
    ///   - tag: Given back as ``tag`` and in `clientFailedToConnect`.
    ///   - eventLoop: The loop the connection lives on.
    package static func connect(
        to address: SocketAddress,
        bindingTo source: SocketAddress?,
        configuration: MQTTClientConfiguration,
        resources: MQTTClientLoopResources,
        delegate: any MQTTClientDelegate,
        tag: Int,
        on eventLoop: any EventLoop
    ) {
        eventLoop.preconditionInEventLoop()
        var bootstrap = ClientBootstrap(group: eventLoop)
            // Reusing a source port still in TIME_WAIT from an earlier run is fine for a client
            // that binds before connecting: the 4-tuple differs or the old one is gone.
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .connectTimeout(configuration.connectTimeout)
        if let source {
            bootstrap = bootstrap.bind(to: source)
        }
        // The pipeline is built once connected: the server sends nothing before the client's
        // first bytes (RFC 6455 §4.1, [MQTT-3.1.0-1]), so nothing can be missed until then.
        bootstrap.connect(to: address).assumeIsolated().whenComplete { result in
            switch result {
            case .failure(let error):
                delegate.clientFailedToConnect(tag: tag, error: error)
            case .success(let channel):
                do {
                    try Self.start(
                        on: channel, configuration: configuration, resources: resources, delegate: delegate, tag: tag)
                } catch {
                    channel.close(promise: nil)
                    delegate.clientFailedToConnect(tag: tag, error: error)
                }
            }
        }
    }

    /// Runs the client on an open channel: adds the handlers, then sends the WebSocket upgrade
    /// (if any) and CONNECT. Used by ``connect(to:bindingTo:configuration:resources:delegate:tag:on:)``
    /// and by tests on an `EmbeddedChannel`. Must be called on the channel's event loop.
    package static func start(
        on channel: any Channel,
        configuration: MQTTClientConfiguration,
        resources: MQTTClientLoopResources,
        delegate: any MQTTClientDelegate,
        tag: Int
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        if let tls = configuration.tls {
            // TLS first, so every byte of the WebSocket upgrade and of MQTT goes through it; what the
            // handlers below write before the handshake ends waits in the TLS handler.
            try pipeline.addHandler(NIOSSLClientHandler(context: tls.context, serverHostname: tls.serverHostname))
        }
        var transport: WebSocketClientTransport?
        if case .webSocket(let host, let path, let deflate) = configuration.transport {
            let handler = WebSocketClientTransport(
                host: host, path: path, offerDeflate: deflate, maxMessageSize: configuration.maximumPacketSize + 16)
            try pipeline.addHandler(handler)
            transport = handler
        }
        let handler = MQTTClientHandler(configuration: configuration)
        try pipeline.addHandler(handler)
        let connection = MQTTClientConnection(channel: channel, handler: handler, transport: transport, tag: tag)
        transport?.start(inflaters: resources.inflaters)
        handler.start(connection: connection, delegate: delegate)
    }
}

@available(*, unavailable)
extension MQTTClientConnection: Sendable {}

/// What the client connections of one event loop share: the pool of inflaters for compressed
/// WebSocket messages (STYLE §3.4 item 5), so an idle connection holds no zlib state.
///
/// Create one per event loop, on that loop, and use it only there.
package final class MQTTClientLoopResources {
    package let inflaters: InflaterPool

    package init(maximumIdleInflaters: Int = 16) {
        self.inflaters = InflaterPool(maximumIdleInflaters: maximumIdleInflaters)
    }
}

@available(*, unavailable)
extension MQTTClientLoopResources: Sendable {}
