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

extension ServerBootstrap {
    /// The socket options every Swiftlet listener uses.
    ///
    /// - Parameter outboundLimit: the write-buffer high-water mark per connection. Writability is
    ///   the slow-consumer signal (DESIGN §4.6): above it QoS 0 messages to the connection are
    ///   dropped and QoS 1/2 wait in the session queue, and the connection is not read from.
    static func swiftletListener(group: any EventLoopGroup, outboundLimit: Int) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(
                .writeBufferWaterMark,
                value: ChannelOptions.Types.WriteBufferWaterMark(low: outboundLimit / 2, high: outboundLimit)
            )
    }
}
