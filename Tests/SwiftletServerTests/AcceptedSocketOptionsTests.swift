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
import Glibc
import NIOCore
import NIOPosix
import Testing

/// The options of the broker's end of an accepted connection, read from the socket itself: the
/// server runs in this process, so its descriptors are ours to inspect.
@Suite("Accepted sockets' options", .timeLimit(.minutes(1)))
struct AcceptedSocketOptionsTests {
    @Test("An accepted MQTT connection has TCP_NODELAY (inherited from the listening socket)")
    func acceptedSocketHasNoDelay() async throws {
        try await withServer { running, clients in
            try await RawMQTTConnection.with(port: running.port, group: clients) { client in
                try await client.send(Wire.connect311)
                #expect(try await client.receive(4) == Wire.connAckAccepted)
                // The only socket of this process with the server's port as its local port and a
                // peer: the listening socket has no peer, the client's socket another local port.
                let accepted = try #require(Self.acceptedDescriptor(serverPort: running.port))
                var value: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                #expect(getsockopt(accepted, Int32(IPPROTO_TCP), TCP_NODELAY, &value, &length) == 0)
                #expect(value == 1)
            }
        }
    }

    /// The descriptor of this process whose local port is `serverPort` and that has a peer.
    private static func acceptedDescriptor(serverPort: Int) -> Int32? {
        for descriptor in Int32(0)..<4096 {
            guard port(of: descriptor, peer: false) == serverPort, port(of: descriptor, peer: true) != nil else {
                continue
            }
            return descriptor
        }
        return nil
    }

    private static func port(of descriptor: Int32, peer: Bool) -> Int? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                peer ? getpeername(descriptor, socketAddress, &length) : getsockname(descriptor, socketAddress, &length)
            }
        }
        guard result == 0, address.sin_family == sa_family_t(AF_INET) else { return nil }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
