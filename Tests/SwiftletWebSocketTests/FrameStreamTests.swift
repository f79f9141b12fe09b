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
import SwiftletWebSocket
import Testing

/// Several frames in one stream, cut in every way: the frames come out the same.
@Suite("Frame stream splits")
struct FrameStreamTests {
    /// The valid fixtures that need no special parser settings, plus an RSV1-free mix, in one
    /// stream.
    static let fixtures = FrameFixture.valid.filter { !$0.allowsRSV1 && $0.bytes.count < 1000 }
    static let stream = fixtures.flatMap(\.bytes)
    static let frames = fixtures.compactMap(\.expectedFrame)

    @Test("the whole stream in one buffer")
    func oneBuffer() {
        let result = parseFrames([Self.stream])
        #expect(result.error == nil)
        #expect(result.frames == Self.frames)
    }

    @Test("one byte at a time")
    func dripFeed() {
        let result = parseFrames(Self.stream.map { [$0] })
        #expect(result.error == nil)
        #expect(result.frames == Self.frames)
    }

    @Test("random chunkings", arguments: [1, 2, 3, 7, 16, 64] as [Int])
    func randomChunkings(maxChunk: Int) {
        var generator = SplitMix64(seed: UInt64(maxChunk))
        for _ in 0..<200 {
            let chunks = randomChunks(Self.stream, maxChunk: maxChunk, using: &generator)
            let result = parseFrames(chunks)
            #expect(result.error == nil)
            #expect(result.frames == Self.frames, "chunks \(chunks.map(\.count))")
        }
    }

    @Test("a large frame between small ones, in random chunks")
    func largeFrame() throws {
        let large = try #require(FrameFixture.valid.first { $0.bytes.count > 65536 })
        let small = FrameFixture.valid[0]
        let bytes = small.bytes + large.bytes + small.bytes
        var generator = SplitMix64(seed: 42)
        for _ in 0..<10 {
            let result = parseFrames(randomChunks(bytes, maxChunk: 5000, using: &generator))
            #expect(result.error == nil)
            #expect(result.frames == [small.expectedFrame, large.expectedFrame, small.expectedFrame].compactMap { $0 })
        }
    }

    @Test("a violation after good frames fails at the same frame, whatever the split")
    func violationInStream() {
        let bad = clientFrame(opcode: .binary, payload: [1]).enumerated().map { $0.offset == 0 ? 0xA2 : $0.element }
        let bytes = Self.stream + bad
        var generator = SplitMix64(seed: 7)
        for _ in 0..<100 {
            let result = parseFrames(randomChunks(bytes, maxChunk: 9, using: &generator))
            #expect(result.frames == Self.frames)
            #expect(result.error?.closeCode == .protocolError)
        }
    }
}
