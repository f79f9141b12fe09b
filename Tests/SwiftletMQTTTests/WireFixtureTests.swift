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

@Suite("Wire fixtures")
struct WireFixtureTests {
    @Test("encoding a packet gives the annotated bytes", arguments: PacketFixture.all.filter(\.encodes))
    func encode(_ fixture: PacketFixture) {
        var buffer = ByteBuffer()
        MQTTPacketEncoder.encode(fixture.packet, version: fixture.version, into: &buffer)
        #expect(buffer.readableArray == fixture.bytes, "got \(buffer.readableArray.hex), want \(fixture.bytes.hex)")
        #expect(MQTTPacketEncoder.encodedSize(fixture.packet, version: fixture.version) == fixture.bytes.count)
    }

    @Test("decoding the annotated bytes gives the packet", arguments: PacketFixture.all.filter(\.decodes))
    func decode(_ fixture: PacketFixture) throws {
        var decoder = fixture.makeDecoder()
        var buffer = ByteBuffer(bytes: fixture.bytes)
        let packet = try decoder.decodePacket(buffer: &buffer)
        #expect(packet == fixture.packet)
        #expect(buffer.readableBytes == 0)
        if case .connect(let connect) = fixture.packet {
            #expect(decoder.version == connect.version)
        }
    }

    @Test("decoding waits for the last byte, whatever the split", arguments: PacketFixture.all.filter(\.decodes))
    func everySplit(_ fixture: PacketFixture) throws {
        let bytes = fixture.bytes
        for split in 0..<bytes.count {
            var decoder = fixture.makeDecoder()
            var buffer = ByteBuffer(bytes: bytes[..<split])
            let before = buffer
            let early = try decoder.decodePacket(buffer: &buffer)
            #expect(early == nil, "decoded from \(split) of \(bytes.count) bytes")
            // Nothing consumed while waiting.
            #expect(buffer.readerIndex == before.readerIndex && buffer == before)

            buffer.writeBytes(bytes[split...])
            let packet = try decoder.decodePacket(buffer: &buffer)
            #expect(packet == fixture.packet, "split at \(split)")
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test("decoding one byte at a time", arguments: PacketFixture.all.filter(\.decodes))
    func dripFeed(_ fixture: PacketFixture) {
        var decoder = fixture.makeDecoder()
        let outcome = feed(bytewise(fixture.bytes), to: &decoder)
        #expect(outcome.error == nil)
        #expect(outcome.packets == [fixture.packet])
        #expect(outcome.leftover == 0)
    }

    @Test("every packet type exists in every version that has it")
    func coverage() {
        for version in ProtocolVersion.allVersions {
            let fixtures = PacketFixture.all.filter { $0.version == version && $0.direction == .both }
            var types = Set(fixtures.map(\.packet.type))
            if version < .v5 { types.insert(.auth) }  // AUTH does not exist before 5.0.
            #expect(
                types.count == 15,
                "\(version) lacks \(Set((1...15).compactMap(PacketType.init)).subtracting(types))"
            )
        }
    }
}
