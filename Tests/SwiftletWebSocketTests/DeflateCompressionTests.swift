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
import CZlib
import NIOCore
import Testing

@testable import SwiftletWebSocket

/// ``DeflateCompressor``, ``Inflater``, ``InflaterPool`` and DeflateStoredBlock (RFC 7692 §7.2).
@Suite struct DeflateCompressionTests {
    let allocator = ByteBufferAllocator()

    /// Inflates `frames` as one message through an inflater from `pool`, giving it back afterwards.
    func inflate(
        frames: [[UInt8]],
        pool: InflaterPool,
        limit: Int = 1 << 20
    ) throws(DeflateError) -> [UInt8] {
        let inflater = try pool.take()
        defer { pool.recycle(inflater) }
        var output = self.allocator.buffer(capacity: 0)
        for (index, frame) in frames.enumerated() {
            try inflater.inflate(
                self.allocator.buffer(bytes: frame),
                isFinalFrameOfMessage: index == frames.count - 1,
                limit: limit,
                into: &output
            )
        }
        return output.bytes
    }

    func compress(_ bytes: [UInt8], windowBits: Int = 15) throws -> [UInt8] {
        let compressor = try DeflateCompressor(windowBits: windowBits)
        return compressor.compress(self.allocator.buffer(bytes: bytes), allocator: self.allocator).bytes
    }

    /// Cuts `bytes` into frames at random points, empty frames included.
    func split(_ bytes: [UInt8], into count: Int, using generator: inout SplitMix64) -> [[UInt8]] {
        var cuts = (0..<(count - 1)).map { _ in Int(generator.next() % UInt64(bytes.count + 1)) }
        cuts.sort()
        var frames: [[UInt8]] = []
        var start = 0
        for cut in cuts + [bytes.count] {
            frames.append(Array(bytes[start..<cut]))
            start = cut
        }
        return frames
    }

    // MARK: - Round trips

    static let sizes = [0, 1, 100, 255, 256, 4096, 65_539, 1 << 20]

    @Test(arguments: Self.sizes)
    func roundTrip(size: Int) throws {
        let pool = InflaterPool()
        let compressor = try DeflateCompressor()
        let reference = ReferenceInflater()
        for (seed, message) in [
            DeflateSamples.random(count: size, seed: UInt64(size)),
            DeflateSamples.repetitive(count: size),
            DeflateSamples.mixed(count: size, seed: 3),
        ].enumerated() {
            let compressed = compressor.compress(self.allocator.buffer(bytes: message), allocator: self.allocator).bytes
            // RFC 7692 §7.2.1: the 00 00 ff ff tail is not sent.
            #expect(compressed.suffix(4) != [0x00, 0x00, 0xFF, 0xFF] || compressed.count < 4)
            #expect(
                try self.inflate(frames: [compressed], pool: pool, limit: max(size, 1)) == message, "sample \(seed)")
            // Independent check: a raw inflater set up directly with zlib reads it too.
            #expect(reference.inflateMessage(compressed) == message, "sample \(seed)")
        }
        #expect(pool.createdCount == 1)
    }

    @Test func emptyMessageCompressesToOneByte() throws {
        // RFC 7692 §7.2.3.6.
        #expect(try self.compress([]) == [0x00])
    }

    @Test func repetitiveMessagesShrink() throws {
        let message = DeflateSamples.repetitive(count: 1 << 20)
        #expect(try self.compress(message).count < message.count / 100)
    }

    @Test func eachMessageIsCompressedFromAFreshState() throws {
        // RFC 7692 §7.1.1.1 (server_no_context_takeover): the same message compresses to the same bytes
        // every time, and each inflates on its own.
        let compressor = try DeflateCompressor()
        let message = self.allocator.buffer(bytes: DeflateSamples.mixed(count: 3000, seed: 9))
        let first = compressor.compress(message, allocator: self.allocator)
        let second = compressor.compress(message, allocator: self.allocator)
        #expect(first == second)
        #expect(try self.inflate(frames: [second.bytes], pool: InflaterPool()) == message.bytes)
    }

    @Test func headroomIsLeftInFront() throws {
        let compressor = try DeflateCompressor()
        let message = self.allocator.buffer(bytes: DeflateSamples.mixed(count: 1000, seed: 1))
        let plain = compressor.compress(message, allocator: self.allocator)
        let withHeadroom = compressor.compress(message, allocator: self.allocator, headroom: 14)
        #expect(withHeadroom.readerIndex == 14)
        #expect(withHeadroom.readableBytesView.elementsEqual(plain.readableBytesView))
        #expect(message.readerIndex == 0 && message.readableBytes == 1000)
    }

    @Test(arguments: 9...15)
    func smallerWindows(windowBits: Int) throws {
        // RFC 7692 §7.1.2.1: the negotiated server_max_window_bits; the 15-bit inflater reads them all.
        let message = DeflateSamples.mixed(count: 100_000, seed: UInt64(windowBits))
        let compressor = try DeflateCompressor(windowBits: windowBits)
        #expect(compressor.windowBits == windowBits)
        let compressed = compressor.compress(self.allocator.buffer(bytes: message), allocator: self.allocator).bytes
        #expect(try self.inflate(frames: [compressed], pool: InflaterPool()) == message)
        #expect(ReferenceInflater().inflateMessage(compressed) == message)
    }

    @Test func compressionLevelsAndClamping() throws {
        let message = DeflateSamples.mixed(count: 20_000, seed: 4)
        for level in [-5, 0, 1, 6, 9, 42] {
            let compressor = try DeflateCompressor(level: level, windowBits: 8, memoryLevel: 0)
            #expect(compressor.windowBits == 9)
            let compressed = compressor.compress(self.allocator.buffer(bytes: message), allocator: self.allocator).bytes
            #expect(try self.inflate(frames: [compressed], pool: InflaterPool()) == message, "level \(level)")
        }
    }

    // MARK: - Fragmented messages

    @Test(arguments: 0..<12)
    func messagesSplitIntoFramesAtRandomPoints(seed: Int) throws {
        var generator = SplitMix64(seed: UInt64(seed))
        let pool = InflaterPool(chunkSize: 1024)
        let size = Int(generator.next() % 300_000)
        let message =
            seed.isMultiple(of: 2)
            ? DeflateSamples.mixed(count: size, seed: UInt64(seed))
            : DeflateSamples.random(count: size, seed: UInt64(seed))
        let compressed = try self.compress(message)
        let frames = self.split(compressed, into: 1 + Int(generator.next() % 20), using: &generator)
        #expect(try self.inflate(frames: frames, pool: pool) == message)
    }

    @Test func oneByteFrames() throws {
        let message = DeflateSamples.mixed(count: 2000, seed: 2)
        let compressed = try self.compress(message)
        #expect(try self.inflate(frames: compressed.map { [$0] }, pool: InflaterPool()) == message)
        // An empty final frame after the data is fine too.
        #expect(try self.inflate(frames: [compressed, []], pool: InflaterPool()) == message)
    }

    // MARK: - Interop fixtures

    @Test(arguments: DeflateFixtures.all)
    func fixturesInflate(_ fixture: DeflateFixtures.Fixture) throws {
        let pool = InflaterPool()
        #expect(try self.inflate(frames: [fixture.compressed], pool: pool) == fixture.plain)
        #expect(try self.inflate(frames: fixture.compressed.map { [$0] }, pool: pool) == fixture.plain)
        #expect(ReferenceInflater().inflateMessage(fixture.compressed) == fixture.plain)
        #expect(pool.createdCount == 1)
    }

    @Test func referenceInflaterKeepsContext() {
        // Sanity check of the test's own inflater against RFC 7692 §7.2.3.2.
        let reference = ReferenceInflater()
        for message in DeflateFixtures.contextTakeoverMessages {
            #expect(reference.inflateMessage(message) == Array("Hello".utf8))
        }
    }

    // MARK: - Stored-block prefix

    @Test func storedBlockLayout() {
        let block = DeflateStoredBlock.prefix(self.allocator.buffer(bytes: [0x48, 0x65, 0x6C, 0x6C, 0x6F]))
        // RFC 7692 §7.2.3.3.
        #expect(block.bytes == [0x00, 0x05, 0x00, 0xFA, 0xFF, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        #expect(DeflateStoredBlock.prefix(self.allocator.buffer(capacity: 0)).bytes == [0x00, 0x00, 0x00, 0xFF, 0xFF])
        let long = DeflateStoredBlock.prefix(self.allocator.buffer(repeating: 7, count: 70_000))
        #expect(long.readableBytes == 70_000 + 2 * DeflateStoredBlock.headerLength)
        #expect(long.getBytes(at: 0, length: 5) == [0x00, 0xFF, 0xFF, 0x00, 0x00])
        #expect(long.getBytes(at: 5 + 65_535, length: 5) == [0x00, 0x71, 0x11, 0x8E, 0xEE])
    }

    @Test func storedBlockPrefixInFrontOfASharedBody() throws {
        // DESIGN.md §4.4, STYLE.md §3.4 item 3: compress once, prefix per subscriber.
        let body = DeflateSamples.mixed(count: 5000, seed: 11)
        let sharedBody = try self.compress(body)
        let headers: [[UInt8]] = [
            [], [0x00, 0x01], [0x12, 0x34, 0x0B, 0x05], Array(body.prefix(300)),
            DeflateSamples.random(count: 70_000, seed: 5),
        ]
        let pool = InflaterPool()
        // One client inflater that keeps its context across all messages (STYLE.md Appendix A2).
        let contextKeeping = ReferenceInflater()
        for round in 0..<2 {
            for header in headers {
                let message = DeflateStoredBlock.prefix(self.allocator.buffer(bytes: header)).bytes + sharedBody
                #expect(try self.inflate(frames: [message], pool: pool) == header + body, "round \(round)")
                #expect(contextKeeping.inflateMessage(message) == header + body, "round \(round)")
            }
            // Messages from a context-keeping peer in between do not disturb it either.
            #expect(contextKeeping.inflateMessage(DeflateFixtures.all[0].compressed) == Array("Hello".utf8))
        }
    }

    // MARK: - Limits

    @Test(arguments: [1 << 20, 1000, 1])
    func deflateBombIsStoppedAtTheLimit(limit: Int) throws {
        let bomb = try self.compress([UInt8](repeating: 0, count: 10_000_000))
        #expect(bomb.count < 20_000)
        let pool = InflaterPool()
        for frames in [[bomb], bomb.chunked(by: 997)] {
            let inflater = try pool.take()
            var output = self.allocator.buffer(capacity: 0)
            #expect(throws: DeflateError.messageTooBig) {
                for (index, frame) in frames.enumerated() {
                    try inflater.inflate(
                        self.allocator.buffer(bytes: frame),
                        isFinalFrameOfMessage: index == frames.count - 1,
                        limit: limit,
                        into: &output
                    )
                }
            }
            // The output never passes the limit (a fortiori never limit + one chunk).
            #expect(output.readableBytes <= limit)
            #expect(output.readableBytes + pool.chunkSize > limit)
            #expect(inflater.decompressedByteCount == output.readableBytes)
            pool.recycle(inflater)
        }
        // The recycled inflater is as good as new.
        #expect(try self.inflate(frames: [try self.compress([1, 2, 3])], pool: pool) == [1, 2, 3])
        #expect(pool.createdCount == 1)
    }

    @Test func limitIsInclusive() throws {
        let message = DeflateSamples.mixed(count: 50_000, seed: 8)
        let compressed = try self.compress(message)
        #expect(try self.inflate(frames: [compressed], pool: InflaterPool(), limit: 50_000) == message)
        #expect(throws: DeflateError.messageTooBig) {
            try self.inflate(frames: [compressed], pool: InflaterPool(), limit: 49_999)
        }
        // The limit covers the whole message, not each frame.
        #expect(throws: DeflateError.messageTooBig) {
            try self.inflate(frames: compressed.chunked(by: 100), pool: InflaterPool(), limit: 49_999)
        }
    }

    // MARK: - Corrupt input

    @Test func corruptDataIsInvalid() throws {
        let pool = InflaterPool()
        let valid = try self.compress(DeflateSamples.mixed(count: 1000, seed: 6))
        let cases: [(String, [[UInt8]])] = [
            ("reserved block type BTYPE=11", [[0x06, 0x00]]),
            ("stored block with NLEN != ~LEN", [[0x00, 0x05, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5]]),
            ("all ones", [[UInt8](repeating: 0xFF, count: 64)]),
            ("zlib header on a raw stream", [[0x78, 0x9C] + valid]),
            ("message cut inside a block", [Array(valid.prefix(valid.count / 2))]),
            ("cut inside a block, fragmented", [Array(valid.prefix(10)), Array(valid[10..<(valid.count / 2)])]),
            // RFC 7692 §7.2.3.1's "Hello" without its last byte: the appended tail happens to end the
            // static block, but the message stops inside the next block's header and "o" is lost.
            ("static block cut short", [[0xF2, 0x48, 0xCD, 0xC9]]),
            // RFC 7692 §7.2.3.3's stored block without the empty block's header byte: RFC 7692 §7.2.1
            // makes every message end in an empty stored block whose LEN/NLEN were removed.
            (
                "stored block without the trailing empty block",
                [[0x00, 0x05, 0x00, 0xFA, 0xFF, 0x48, 0x65, 0x6C, 0x6C, 0x6F]]
            ),
        ]
        for (name, frames) in cases {
            #expect(throws: DeflateError.invalidData, "\(name)") { try self.inflate(frames: frames, pool: pool) }
        }
        // Failed inflaters are reset on recycle and work again.
        #expect(try self.inflate(frames: [valid], pool: pool) == DeflateSamples.mixed(count: 1000, seed: 6))
        #expect(pool.createdCount == 1)
    }

    @Test func randomGarbageNeverCrashes() throws {
        let pool = InflaterPool(chunkSize: 1024)
        var generator = SplitMix64(seed: 99)
        let valid = try self.compress(DeflateSamples.mixed(count: 4000, seed: 6))
        for round in 0..<500 {
            var bytes: [UInt8]
            if round.isMultiple(of: 2) {
                bytes = DeflateSamples.random(count: Int(generator.next() % 512), seed: generator.next())
            } else {
                // Flip a few bits of a valid message.
                bytes = valid
                for _ in 0..<(1 + Int(generator.next() % 4)) {
                    bytes[Int(generator.next() % UInt64(bytes.count))] ^= UInt8(1 << (generator.next() % 8))
                }
            }
            let frames = self.split(bytes, into: 1 + Int(generator.next() % 4), using: &generator)
            do {
                let output = try self.inflate(frames: frames, pool: pool, limit: 64 * 1024)
                #expect(output.count <= 64 * 1024)
            } catch {
                #expect(error == .invalidData || error == .messageTooBig)
            }
        }
        #expect(pool.createdCount == 1)
    }

    // MARK: - Pool

    @Test func poolReusesInflaters() throws {
        let pool = InflaterPool(maximumIdleInflaters: 2)
        #expect(pool.createdCount == 0 && pool.idleCount == 0)

        let first = try pool.take()
        pool.recycle(first)
        let again = try pool.take()
        #expect(first === again)
        #expect(pool.createdCount == 1)

        // Three messages in progress at once need three inflaters; only two are kept afterwards.
        let second = try pool.take()
        let third = try pool.take()
        #expect(pool.createdCount == 3)
        #expect(pool.idleCount == 0)
        for inflater in [again, second, third] {
            pool.recycle(inflater)
        }
        #expect(pool.idleCount == 2)

        // Many sequential messages on one loop use one of the idle inflaters each time.
        let compressed = try self.compress(Array("hello".utf8))
        for _ in 0..<100 {
            #expect(try self.inflate(frames: [compressed], pool: pool) == Array("hello".utf8))
        }
        #expect(pool.createdCount == 3)
        #expect(pool.idleCount == 2)
    }

    @Test func noPoolKeepsNothing() throws {
        let pool = InflaterPool(maximumIdleInflaters: 0)
        let compressed = try self.compress(Array("hello".utf8))
        for _ in 0..<3 {
            #expect(try self.inflate(frames: [compressed], pool: pool) == Array("hello".utf8))
        }
        #expect(pool.idleCount == 0)
        #expect(pool.createdCount == 3)
    }
}

extension Array {
    fileprivate func chunked(by size: Int) -> [[Element]] {
        stride(from: 0, to: self.count, by: size).map { Array(self[$0..<Swift.min($0 + size, self.count)]) }
    }
}
