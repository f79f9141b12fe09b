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
import NIOEmbedded
import NIOTestUtils
import SwiftletMQTT
import Testing

@Suite("Decoder on a byte stream")
struct DecoderStreamTests {
    /// A client's or server's session after CONNECT: every packet of `version` but CONNECT.
    private static func streamPairs(_ version: ProtocolVersion) -> [(ByteBuffer, [MQTTPacket])] {
        PacketFixture.all
            .filter { $0.version == version && $0.decodes }
            .filter { if case .connect = $0.packet { false } else { true } }
            .map { (ByteBuffer(bytes: $0.bytes), [$0.packet]) }
    }

    @Test("ByteToMessageDecoderVerifier: one by one, drip-fed, many per buffer", arguments: ProtocolVersion.allVersions)
    func verifier(_ version: ProtocolVersion) throws {
        let pairs = Self.streamPairs(version)
        #expect(pairs.count >= 10)
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            MQTTPacketDecoder(version: version)
        }
    }

    /// A whole server-side session: CONNECT, then traffic, as one byte stream.
    private static let session: (bytes: [UInt8], packets: [MQTTPacket]) = {
        let connect = PacketFixture.connect.first { $0.name.hasPrefix("CONNECT every property") }!
        let rest =
            (PacketFixture.publish + PacketFixture.acknowledgements + PacketFixture.subscribe
            + PacketFixture.unsubscribe + PacketFixture.control)
            .filter { $0.version == .v5 && $0.decodes }
            .filter {
                // Packets only a server sends, and PUBLISH with subscription identifiers, are
                // refused from a client.
                switch $0.packet {
                case .pingresp: false
                case .publish(let publish): publish.properties.subscriptionIdentifiers.isEmpty
                default: true
                }
            }
        let fixtures = [connect] + rest
        return (fixtures.flatMap(\.bytes), fixtures.map(\.packet))
    }()

    @Test("a server session, one byte at a time")
    func sessionDripFed() {
        var decoder = MQTTPacketDecoder()
        let outcome = feed(bytewise(Self.session.bytes), to: &decoder)
        #expect(outcome.error == nil)
        #expect(outcome.packets == Self.session.packets)
        #expect(outcome.leftover == 0)
        #expect(decoder.version == .v5)
    }

    @Test("a server session, in chunks of every size up to 64")
    func sessionChunked() {
        let bytes = Self.session.bytes
        for size in 1...64 {
            var decoder = MQTTPacketDecoder()
            let chunks = stride(from: 0, to: bytes.count, by: size).map {
                Array(bytes[$0..<min($0 + size, bytes.count)])
            }
            let outcome = feed(chunks, to: &decoder)
            #expect(outcome.error == nil, "chunk size \(size)")
            #expect(outcome.packets == Self.session.packets, "chunk size \(size)")
        }
    }

    @Test("a server session through ByteToMessageHandler")
    func sessionInPipeline() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(MQTTPacketDecoder()))
        try channel.writeInbound(ByteBuffer(bytes: Self.session.bytes))
        var packets: [MQTTPacket] = []
        while let packet = try channel.readInbound(as: MQTTPacket.self) {
            packets.append(packet)
        }
        #expect(packets == Self.session.packets)
        #expect(try channel.finish().isClean)
    }

    @Test("a pipeline reports the decode error")
    func errorInPipeline() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(MQTTPacketDecoder()))
        let error = #expect(throws: MQTTDecodeError.self) {
            try channel.writeInbound(ByteBuffer(bytes: [0xC0, 0x00]))
        }
        #expect(error?.reasonCode == .protocolError)
        _ = try? channel.finish()
    }

    // MARK: - Limits before buffering

    @Test("an oversized packet is refused from its fixed header, before its body")
    func packetTooLargeBeforeBody() {
        var decoder = MQTTPacketDecoder(maximumPacketSize: 100, version: .v5)
        var buffer = ByteBuffer(bytes: [0x30])
        #expect((try? decoder.decodePacket(buffer: &buffer)) == .some(nil))
        buffer.writeBytes([0xE8])  // remaining length continues
        #expect((try? decoder.decodePacket(buffer: &buffer)) == .some(nil))
        buffer.writeBytes([0x07])  // remaining length 1000: 1003 bytes in all
        #expect(throws: MQTTDecodeError.packetTooLarge(size: 1003, maximum: 100)) {
            try decoder.decodePacket(buffer: &buffer)
        }
    }

    @Test("the maximum packet size counts the fixed header")
    func maximumIncludesFixedHeader() throws {
        // PUBLISH "t" with 5 payload bytes: 2 header bytes + 3 topic bytes + 5 = 10 bytes.
        let packet: [UInt8] = [0x30, 0x08, 0x00, 0x01, 0x74, 0x01, 0x02, 0x03, 0x04, 0x05]
        var fits = MQTTPacketDecoder(maximumPacketSize: 10, version: .v3_1_1)
        var buffer = ByteBuffer(bytes: packet)
        #expect(try fits.decodePacket(buffer: &buffer) != nil)

        var tooSmall = MQTTPacketDecoder(maximumPacketSize: 9, version: .v3_1_1)
        buffer = ByteBuffer(bytes: packet[..<2])
        #expect(throws: MQTTDecodeError.packetTooLarge(size: 10, maximum: 9)) {
            try tooSmall.decodePacket(buffer: &buffer)
        }
    }

    @Test("an incomplete remaining length waits until its fourth byte")
    func remainingLengthWaits() {
        var decoder = MQTTPacketDecoder(maximumPacketSize: Int.max, version: .v5)
        var buffer = ByteBuffer(bytes: [0x30, 0x80, 0x80, 0x80])
        #expect((try? decoder.decodePacket(buffer: &buffer)) == .some(nil))
        #expect(buffer.readableBytes == 4)
        buffer.writeBytes([0x80])
        #expect(throws: MQTTDecodeError.self) { try decoder.decodePacket(buffer: &buffer) }
    }

    @Test("the largest remaining length is accepted when the maximum allows it")
    func largestRemainingLength() {
        var decoder = MQTTPacketDecoder(maximumPacketSize: Int.max, version: .v5)
        var buffer = ByteBuffer(bytes: [0x30, 0xFF, 0xFF, 0xFF, 0x7F])  // 268,435,455
        #expect((try? decoder.decodePacket(buffer: &buffer)) == .some(nil))
    }

    // MARK: - State

    @Test("the version is set by CONNECT, even by one that is then refused")
    func versionFromRefusedConnect() {
        var decoder = MQTTPacketDecoder()
        // 3.1.1 CONNECT with an empty client identifier and no clean session [MQTT-3.1.3-8].
        var buffer = ByteBuffer(bytes: [
            0x10, 0x0C, 0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x04, 0x00, 0x00, 0x3C, 0x00, 0x00,
        ])
        #expect(throws: MQTTDecodeError.self) { try decoder.decodePacket(buffer: &buffer) }
        #expect(decoder.version == .v3_1_1)
    }

    @Test("a client decoder reads what a server sends")
    func clientDecoder() throws {
        var decoder = MQTTPacketDecoder(version: .v5)
        var buffer = ByteBuffer(bytes: [0x20, 0x03, 0x00, 0x00, 0x00, 0xD0, 0x00])
        #expect(
            try decoder.decodePacket(buffer: &buffer)
                == .connack(ConnAckPacket(sessionPresent: false, reasonCode: .success))
        )
        #expect(try decoder.decodePacket(buffer: &buffer) == .pingresp)
        #expect(try decoder.decodePacket(buffer: &buffer) == nil)
    }

    @Test("decodeLast leaves an incomplete packet alone")
    func decodeLastIncomplete() throws {
        var decoder = MQTTPacketDecoder(version: .v3_1_1)
        var buffer = ByteBuffer(bytes: [0x30, 0x05, 0x00])
        #expect(try decoder.decodeLast(buffer: &buffer, seenEOF: true) == nil)
        #expect(buffer.readableBytes == 3)
    }

    // MARK: - No copies

    @Test("the PUBLISH payload is a slice of the input, not a copy")
    func payloadIsSlice() throws {
        var decoder = MQTTPacketDecoder(version: .v5)
        var buffer = ByteBuffer(bytes: [0x30, 0x08, 0x00, 0x01, 0x74, 0x00, 0x61, 0x62, 0x63, 0x64])
        let inputPayloadAddress = buffer.withUnsafeReadableBytes { UnsafeRawPointer($0.baseAddress! + 6) }
        guard case .publish(let publish) = try decoder.decodePacket(buffer: &buffer) else {
            Issue.record("not a PUBLISH")
            return
        }
        #expect(publish.payload == ByteBuffer(string: "abcd"))
        let payloadAddress = publish.payload.withUnsafeReadableBytes { UnsafeRawPointer($0.baseAddress!) }
        #expect(payloadAddress == inputPayloadAddress)
    }
}
