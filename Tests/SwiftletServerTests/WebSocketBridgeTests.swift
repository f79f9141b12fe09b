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
import NIOEmbedded
import SwiftletWebSocket
import Testing

@testable import SwiftletServer

/// The WebSocket-MQTT bridge on `EmbeddedChannel`s: framing, compress-once, control frames.
@Suite("WebSocket bridge")
struct WebSocketBridgeTests {
    static let deflate = (
        configuration: PerMessageDeflateNegotiation.Configuration(),
        parameters: PerMessageDeflateNegotiation.Parameters()
    )

    func makeChannel(
        resources: WebSocketLoopResources, loop: EmbeddedEventLoop, deflate: Bool = true
    ) throws -> EmbeddedChannel {
        let bridge = WebSocketMQTTBridge(
            maxMessageSize: 1 << 20, deflate: deflate ? Self.deflate : nil, resources: resources,
            logger: Logger(label: "test"))
        return EmbeddedChannel(handler: bridge, loop: loop)
    }

    /// A masked client frame, as a browser would send it (RFC 6455 §5.3).
    func clientFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8], rsv1: Bool = false) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt8(0x80 | (rsv1 ? 0x40 : 0) | opcode.rawValue))
        buffer.writeInteger(UInt8(0x80 | UInt8(payload.count)))  // short payloads only
        let mask: [UInt8] = [0x11, 0x22, 0x33, 0x44]
        buffer.writeBytes(mask)
        buffer.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        return buffer
    }

    @Test("A fan-out message is compressed once for every deflate connection on the loop")
    func compressOnce() throws {
        let loop = EmbeddedEventLoop()
        let resources = WebSocketLoopResources(compressionLevel: 6)
        let channels = try (0..<5).map { _ in try makeChannel(resources: resources, loop: loop) }
        let message = ByteBuffer(string: String(repeating: "danmaku ", count: 100))  // over the 256-byte minimum
        for channel in channels { try channel.writeOutbound(message) }
        // DESIGN §4.4: one compression per distinct message, the same frame bytes for everyone.
        #expect(resources.compressions == 1)
        let frames = try channels.map { try #require(try $0.readOutbound(as: ByteBuffer.self)) }
        for frame in frames { #expect(frame == frames[0]) }
        #expect(frames[0].getInteger(at: frames[0].readerIndex, as: UInt8.self) == 0xC2)  // FIN, RSV1, binary
        #expect(frames[0].readableBytes < message.readableBytes)
    }

    @Test("Small messages and connections without deflate are framed uncompressed")
    func uncompressed() throws {
        let loop = EmbeddedEventLoop()
        let resources = WebSocketLoopResources(compressionLevel: 6)
        let plain = try makeChannel(resources: resources, loop: loop, deflate: false)
        try plain.writeOutbound(ByteBuffer(string: String(repeating: "x", count: 1000)))
        let header = try #require(try plain.readOutbound(as: ByteBuffer.self))
        #expect(Array(header.readableBytesView) == [0x82, 126, 0x03, 0xE8])  // FIN binary, 16-bit length 1000
        let small = try makeChannel(resources: resources, loop: loop)
        try small.writeOutbound(ByteBuffer(string: "hi"))
        let smallHeader = try #require(try small.readOutbound(as: ByteBuffer.self))
        #expect(Array(smallHeader.readableBytesView) == [0x82, 2])
        #expect(resources.compressions == 0)
    }

    @Test("An uncompressed fan-out message is framed once and shared from the second connection on")
    func plainFrameShared() throws {
        let loop = EmbeddedEventLoop()
        let resources = WebSocketLoopResources(compressionLevel: 6)
        let channels = try (0..<4).map { _ in try makeChannel(resources: resources, loop: loop, deflate: false) }
        let message = ByteBuffer(string: "comment")
        for channel in channels { try channel.writeOutbound(message) }
        // The first connection gets header + payload (a buffer written once is never copied).
        let header = try #require(try channels[0].readOutbound(as: ByteBuffer.self))
        #expect(Array(header.readableBytesView) == [0x82, 7])
        #expect(try channels[0].readOutbound(as: ByteBuffer.self) == message)
        // The others share one buffer holding the whole frame (DESIGN §4.4).
        let frames = try channels.dropFirst().map { try #require(try $0.readOutbound(as: ByteBuffer.self)) }
        let expected = ByteBuffer(bytes: [0x82, 7] + Array("comment".utf8))
        for (channel, frame) in zip(channels.dropFirst(), frames) {
            #expect(frame == expected)
            #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        }
        let storage = Set(frames.map { $0.withUnsafeReadableBytes { UnsafeRawPointer($0.baseAddress) } })
        #expect(storage.count == 1)
        // A different message starts over.
        try channels[1].writeOutbound(ByteBuffer(string: "other"))
        #expect(try channels[1].readOutbound(as: ByteBuffer.self).map { Array($0.readableBytesView) } == [0x82, 5])
    }

    @Test("Binary frames reach the MQTT side; ping gets a pong with the same payload")
    func inboundFrames() throws {
        let loop = EmbeddedEventLoop()
        let channel = try makeChannel(resources: WebSocketLoopResources(compressionLevel: 6), loop: loop)
        try channel.writeInbound(clientFrame(.binary, [0xC0, 0x00]))  // an MQTT PINGREQ
        let bytes = try #require(try channel.readInbound(as: ByteBuffer.self))
        #expect(Array(bytes.readableBytesView) == [0xC0, 0x00])
        try channel.writeInbound(clientFrame(.ping, [1, 2, 3]))
        let pong = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(pong.readableBytesView) == [0x8A, 3, 1, 2, 3])  // RFC 6455 §5.5.3
    }

    @Test("A text frame closes with 1003, an unmasked frame with 1002")
    func violations() throws {
        let loop = EmbeddedEventLoop()
        let resources = WebSocketLoopResources(compressionLevel: 6)
        let text = try makeChannel(resources: resources, loop: loop)
        try text.writeInbound(clientFrame(.text, Array("hello".utf8)))
        let close = try #require(try text.readOutbound(as: ByteBuffer.self))
        #expect(Array(close.readableBytesView.prefix(4)) == [0x88, 2, 0x03, 0xEB])  // 1003 [MQTT-6.0.0-1]

        let unmasked = try makeChannel(resources: resources, loop: loop)
        try unmasked.writeInbound(ByteBuffer(bytes: [0x82, 0x02, 0xC0, 0x00]))
        let close2 = try #require(try unmasked.readOutbound(as: ByteBuffer.self))
        #expect(Array(close2.readableBytesView.prefix(4)) == [0x88, 2, 0x03, 0xEA])  // 1002, RFC 6455 §5.1
    }
}
