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
import NIOSSL
import SwiftletBroker

/// The MQTT/TCP listener: accepts sockets and puts an `MQTTConnectionHandler` on each.
enum MQTTListener {
    static func bind(
        address: ListenAddress,
        tls: NIOSSLContext?,
        commonNameAsUsername: Bool,
        broker: Broker,
        group: any EventLoopGroup,
        logger: Logger
    ) -> EventLoopFuture<any Channel> {
        let outboundLimit = broker.configuration.maxOutboundBytes
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            // Writability is the slow-consumer signal (DESIGN §4.6): above the high mark QoS 0
            // messages to this connection are dropped and QoS 1/2 wait in the session queue.
            .childChannelOption(
                .writeBufferWaterMark,
                value: ChannelOptions.Types.WriteBufferWaterMark(low: outboundLimit / 2, high: outboundLimit)
            )
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    let handler = MQTTConnectionHandler(
                        broker: broker, transport: tls == nil ? "tcp" : "tls", logger: logger)
                    if let tls {
                        // TLS as a wrapper in front of the same byte path (STYLE §1.1).
                        try pipeline.addHandler(NIOSSLServerHandler(context: tls))
                        if commonNameAsUsername {
                            handler.certificateUsername = { [channel] in
                                guard let certificate = try? channel.pipeline.syncOperations
                                    .handler(type: NIOSSLServerHandler.self).peerCertificate
                                else { return nil }
                                return TLSSettings.commonName(of: certificate)
                            }
                        }
                    }
                    try pipeline.addHandler(handler)
                }
            }
            .bind(host: address.host, port: address.port)
    }
}
