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

/// One TCP connection that speaks raw bytes, so tests see exactly what the broker puts on the wire.
///
/// Reading is pull-based through `NIOAsyncChannel`: nothing is awaited with sleeps, and the end of
/// the inbound stream is the server closing the socket.
struct RawMQTTConnection: ~Copyable {
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    /// Bytes received but not yet handed out.
    private var received: [UInt8] = []

    /// Connects to `127.0.0.1:port`, runs `body`, then closes the socket (if the server has not).
    static func with<Result>(
        port: Int,
        group: any EventLoopGroup,
        _ body: (inout RawMQTTConnection) async throws -> Result
    ) async throws -> Result {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = RawMQTTConnection(outbound: outbound, inbound: inbound.makeAsyncIterator())
            return try await body(&connection)
        }
    }

    private init(
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    ) {
        self.outbound = outbound
        self.inbound = inbound
    }

    func send(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    /// The next `count` bytes; fewer only if the server closed the connection first.
    mutating func receive(_ count: Int) async throws -> [UInt8] {
        while received.count < count, let buffer = try await inbound.next() {
            received.append(contentsOf: buffer.readableBytesView)
        }
        let bytes = Array(received.prefix(count))
        received.removeFirst(bytes.count)
        return bytes
    }

    /// Everything the server sends until it closes the connection.
    mutating func receiveUntilClosed() async throws -> [UInt8] {
        while let buffer = try await inbound.next() {
            received.append(contentsOf: buffer.readableBytesView)
        }
        defer { received = [] }
        return received
    }
}
