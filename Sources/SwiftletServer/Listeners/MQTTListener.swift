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
        authenticationModes: AuthenticationModes,
        broker: Broker,
        group: any EventLoopGroup,
        logger: Logger
    ) -> EventLoopFuture<any Channel> {
        let outboundLimit = broker.configuration.maxOutboundBytes
        return ServerBootstrap.swiftletListener(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.configureSwiftletConnection(outboundLimit: outboundLimit, allowRemoteHalfClosure: true)
                    let pipeline = channel.pipeline.syncOperations
                    let handler = MQTTConnectionHandler(
                        broker: broker, transport: tls == nil ? "tcp" : "tls", logger: logger)
                    handler.authenticationModes = authenticationModes
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
