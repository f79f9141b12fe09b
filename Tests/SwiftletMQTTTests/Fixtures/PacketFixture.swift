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
import SwiftletMQTT
import Testing

/// One row of annotated wire bytes: either integer bytes (`[0x10, 0x0F]`) or ASCII text (`"MQTT"`).
///
/// Fixture tables list a packet as rows like `[0x00, 0x04], "MQTT", // protocol name`, so every
/// byte sits next to a comment that says what it is (STYLE §8.13, after mochi's tpackets.go).
struct WireRow: Sendable, ExpressibleByArrayLiteral, ExpressibleByStringLiteral {
    var bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(arrayLiteral elements: UInt8...) { self.bytes = elements }
    init(stringLiteral value: String) { self.bytes = Array(value.utf8) }
}

/// A canonical packet and its exact bytes in one protocol version.
struct PacketFixture: Sendable, CustomTestStringConvertible {
    /// Which directions the bytes hold in.
    enum Direction: Sendable {
        /// `encode(packet) == bytes` and `decode(bytes) == packet`.
        case both
        /// Only `decode(bytes) == packet`: a non-canonical form the decoder must accept.
        case decodeOnly
        /// Only `encode(packet) == bytes`: the encoder drops what the version cannot carry.
        case encodeOnly
    }

    var name: String
    var version: ProtocolVersion
    var packet: MQTTPacket
    var direction: Direction
    var wire: [WireRow]

    init(
        _ name: String,
        _ version: ProtocolVersion,
        _ direction: Direction = .both,
        packet: MQTTPacket,
        wire: [WireRow]
    ) {
        self.name = name
        self.version = version
        self.direction = direction
        self.packet = packet
        self.wire = wire
    }

    var bytes: [UInt8] { self.wire.flatMap(\.bytes) }

    var testDescription: String { "\(self.version) \(self.name)" }

    var encodes: Bool { self.direction != .decodeOnly }
    var decodes: Bool { self.direction != .encodeOnly }

    /// The decoder state the bytes are read in: a server awaiting CONNECT for a CONNECT, the
    /// version preset (as a client would) for everything else.
    func makeDecoder(maximumPacketSize: Int = 1 << 20) -> MQTTPacketDecoder {
        if case .connect = self.packet {
            return MQTTPacketDecoder(maximumPacketSize: maximumPacketSize)
        }
        return MQTTPacketDecoder(maximumPacketSize: maximumPacketSize, version: self.version)
    }
}

/// A byte sequence the decoder must refuse, with the reason code it must refuse it with.
struct MalformedFixture: Sendable, CustomTestStringConvertible {
    var name: String
    /// The decoder's version when the bytes arrive; `nil` for a server awaiting CONNECT.
    var version: ProtocolVersion?
    var expected: ReasonCode
    var maximumPacketSize: Int
    var wire: [WireRow]

    init(
        _ name: String,
        _ version: ProtocolVersion?,
        expect expected: ReasonCode,
        maximumPacketSize: Int = 1 << 20,
        wire: [WireRow]
    ) {
        self.name = name
        self.version = version
        self.expected = expected
        self.maximumPacketSize = maximumPacketSize
        self.wire = wire
    }

    var bytes: [UInt8] { self.wire.flatMap(\.bytes) }

    var testDescription: String { "\(self.version.map { "\($0)" } ?? "awaiting CONNECT") \(self.name)" }
}

extension ByteBuffer {
    init(_ rows: [WireRow]) {
        self.init(bytes: rows.flatMap(\.bytes))
    }
}

extension Array where Element == UInt8 {
    /// `10 0f 00 04 …`, for failure messages.
    var hex: String {
        self.map { byte in
            let digits = String(byte, radix: 16)
            return byte < 0x10 ? "0" + digits : digits
        }.joined(separator: " ")
    }
}

extension ByteBuffer {
    var readableArray: [UInt8] { Array(self.readableBytesView) }
}
