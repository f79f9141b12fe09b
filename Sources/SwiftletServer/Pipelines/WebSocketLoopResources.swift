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
import Synchronization
import SwiftletWebSocket

/// The zlib state of one event loop, shared by every WebSocket connection on it (STYLE §3.4):
/// one deflater (the server always negotiates `server_no_context_takeover`, so messages are
/// compressed independently) and a pool of inflaters lent out for one message at a time (the
/// server also asks for `client_no_context_takeover`). An idle connection holds no zlib state.
///
/// Confined to its event loop.
final class WebSocketLoopResources {
    let inflaters: InflaterPool
    /// By window bits: a message deflated with window W suits every connection that allows W or
    /// more (`server_max_window_bits`), so in practice there is one, for 15.
    private var compressors: [Int: DeflateCompressor] = [:]
    private let compressionLevel: Int
    /// Recently compressed messages, by the identity of their bytes: a fan-out writes the same
    /// `ByteBuffer` to every subscriber on this loop, so it is compressed once (DESIGN §4.4).
    private var recent: [(input: ByteBuffer, windowBits: Int, framed: ByteBuffer)] = []
    private static let recentCapacity = 8
    private(set) var compressions = 0
    /// The last uncompressed message seen, and its frame once a second connection sent it.
    private var lastPlain: (input: ByteBuffer, framed: ByteBuffer?)?

    init(compressionLevel: Int) {
        self.compressionLevel = compressionLevel
        self.inflaters = InflaterPool()
    }

    /// A complete binary frame (header + compressed payload, RSV1 set) for `message`, compressed
    /// once per distinct message however many connections send it.
    func compressedFrame(
        for message: ByteBuffer, windowBits: Int, allocator: ByteBufferAllocator
    ) throws(DeflateError) -> ByteBuffer {
        for entry in recent where entry.windowBits == windowBits && Self.sameBytes(entry.input, message) {
            return entry.framed
        }
        let compressor: DeflateCompressor
        if let existing = compressors[windowBits] {
            compressor = existing
        } else {
            compressor = try DeflateCompressor(level: compressionLevel, windowBits: windowBits)
            compressors[windowBits] = compressor
        }
        let headroom = WebSocketFrameEncoder.headerSize(payloadLength: Int(UInt32.max))
        var body = compressor.compress(message, allocator: allocator, headroom: headroom)
        compressions += 1
        // The header goes into the headroom left in front of the compressed bytes: no copy.
        var header = ByteBuffer()
        WebSocketFrameEncoder.writeHeader(
            fin: true, rsv1: true, opcode: .binary, payloadLength: body.readableBytes, into: &header)
        body.moveReaderIndex(to: body.readerIndex - header.readableBytes)
        body.setBuffer(header, at: body.readerIndex)
        if recent.count == Self.recentCapacity { recent.removeFirst() }
        recent.append((message, windowBits, body))
        return body
    }

    /// A complete uncompressed binary frame for `message` when the same bytes were already sent on
    /// this loop just before (a fan-out writes one buffer to every subscriber in a row): header
    /// and payload in one buffer, built once and shared, so each further subscriber costs no
    /// allocation and one iovec (DESIGN §4.4). nil the first time: a buffer written once — a
    /// per-subscriber packet — is framed by the caller and never copied here.
    func sharedPlainFrame(for message: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer? {
        if let last = lastPlain, Self.sameBytes(last.input, message) {
            if let framed = last.framed { return framed }
            let length = message.readableBytes
            var framed = allocator.buffer(capacity: WebSocketFrameEncoder.headerSize(payloadLength: length) + length)
            WebSocketFrameEncoder.writeHeader(fin: true, rsv1: false, opcode: .binary, payloadLength: length, into: &framed)
            framed.writeImmutableBuffer(message)
            lastPlain = (message, framed)
            return framed
        }
        lastPlain = (message, nil)
        return nil
    }

    /// Whether two buffers view the very same bytes of the very same storage. Holding `a` keeps
    /// its storage alive and shared, so nobody can have changed it in place since.
    private static func sameBytes(_ a: ByteBuffer, _ b: ByteBuffer) -> Bool {
        guard a.readableBytes == b.readableBytes else { return false }
        let first = a.withUnsafeReadableBytes { UnsafeRawPointer($0.baseAddress) }
        let second = b.withUnsafeReadableBytes { UnsafeRawPointer($0.baseAddress) }
        return first == second
    }
}

@available(*, unavailable)
extension WebSocketLoopResources: Sendable {}

/// Finds the resources of an event loop, creating them on first use. Looked up once per
/// connection, at upgrade time; never on the data path.
final class WebSocketLoopResourcesRegistry: Sendable {
    private let byLoop = Mutex<[ObjectIdentifier: NIOLoopBound<WebSocketLoopResources>]>([:])
    private let compressionLevel: Int

    init(compressionLevel: Int = 6) {
        self.compressionLevel = compressionLevel
    }

    /// Must be called on `eventLoop`.
    func resources(for eventLoop: any EventLoop) -> WebSocketLoopResources {
        let key = ObjectIdentifier(eventLoop)
        return byLoop.withLock { byLoop in
            if let existing = byLoop[key] { return existing.value }
            let created = WebSocketLoopResources(compressionLevel: compressionLevel)
            byLoop[key] = NIOLoopBound(created, eventLoop: eventLoop)
            return created
        }
    }
}
