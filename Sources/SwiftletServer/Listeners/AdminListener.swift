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

/// The admin API's listener (DESIGN §1): loopback by default, HTTP/1.1 only, never upgraded.
enum AdminListener {
    static func bind(
        address: ListenAddress, api: AdminAPI, configuration: AdminHTTPHandler.Configuration,
        group: any EventLoopGroup, logger: Logger
    ) -> EventLoopFuture<any Channel> {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 128)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try AdminHTTPHandler.configure(
                        pipeline: channel.pipeline.syncOperations, api: api, configuration: configuration,
                        logger: logger)
                }
            }
            .bind(host: address.host, port: address.port)
    }
}
