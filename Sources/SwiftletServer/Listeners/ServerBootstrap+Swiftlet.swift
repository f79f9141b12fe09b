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
    /// The server socket options every Swiftlet listener uses. The accepted connections' options
    /// are set by ``Channel/configureSwiftletConnection(outboundLimit:allowRemoteHalfClosure:)``
    /// in the child channel initializer.
    static func swiftletListener(group: any EventLoopGroup) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Accepted sockets inherit TCP_NODELAY from the listening socket (Linux and the BSDs
            // copy it into the new socket; NIO's `ServerBootstrap` sets it on the listener by
            // default for that reason), so no connection needs a `setsockopt` of its own for it.
            .serverChannelOption(.tcpOption(.tcp_nodelay), value: 1)
    }

    /// Receive buffer sizes for every connection.
    ///
    /// A channel keeps its receive buffer for as long as it lives and never shrinks it (NIO's
    /// `NIOPooledRecvBufferAllocator` reuses it for the next read), so the initial size is paid by
    /// every idle connection: NIO's default of 2048 bytes was a third of an idle MQTT connection's
    /// memory. Most connections of a chat or live-room broker send small packets and are idle
    /// most of the time; 256 bytes hold a typical CONNECT or SUBSCRIBE. A connection that fills
    /// its buffer gets one twice the size for its next read, up to 64 KiB, within the same read
    /// cycle (NIO reads up to `maxMessagesPerRead` times per readiness), so busy publishers reach
    /// full-size reads after a few reads.
    static let receiveBufferSizes = ReceiveBufferSizes(minimum: 64, initial: 256, maximum: 64 * 1024)
}

extension Channel {
    /// Sets the options of an accepted connection. Call from the child channel initializer, on
    /// the channel's loop.
    ///
    /// Set here rather than as the bootstrap's `childChannelOption`s: the bootstrap applies those
    /// one after the other through a chain of futures (`ChannelOptions.Storage.applyAllChannelOptions`),
    /// about three future allocations and callbacks per option and connection, where a
    /// synchronous `setOption` is a plain call.
    ///
    /// - Parameters:
    ///   - outboundLimit: the write-buffer high-water mark per connection. Writability is the
    ///     slow-consumer signal (DESIGN §4.6): above it QoS 0 messages to the connection are
    ///     dropped and QoS 1/2 wait in the session queue, and the connection is not read from.
    ///   - allowRemoteHalfClosure: whether the handlers see the client's half-close as an event
    ///     (MQTT over TCP) instead of the channel closing.
    func configureSwiftletConnection(outboundLimit: Int, allowRemoteHalfClosure: Bool) throws {
        guard let options = syncOptions else {
            preconditionFailure("Internal inconsistency: accepted channels of NIOPosix have synchronous options")
        }
        try options.setOption(
            .writeBufferWaterMark,
            value: ChannelOptions.Types.WriteBufferWaterMark(low: outboundLimit / 2, high: outboundLimit))
        try options.setOption(.recvAllocator, value: ServerBootstrap.receiveBufferSizes)
        // One read per readiness: NIO keeps up to this many receive buffers per channel for
        // good (one more each time a read finds the last one still held, as an HTTP decoder
        // holds an upgrade request that filled it), and a read of up to 64 KiB per wake-up
        // is enough for any one MQTT connection.
        try options.setOption(.maxMessagesPerRead, value: 1)
        if allowRemoteHalfClosure {
            try options.setOption(.allowRemoteHalfClosure, value: true)
        }
    }
}
