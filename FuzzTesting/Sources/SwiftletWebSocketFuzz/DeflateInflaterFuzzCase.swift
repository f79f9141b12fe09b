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
import SwiftletFuzzSupport
import SwiftletWebSocket

/// The permessage-deflate fuzz case (issue 14): arbitrary bytes as one compressed message, cut into
/// frames, through an ``Inflater`` from an ``InflaterPool`` with a size cap.
///
/// Input: a settings byte (bits 0-2: the inflated-size limit; bits 3-4: the pool's scratch size;
/// bit 5: compress the data with ``DeflateCompressor`` first, at the level of bits 6-7), two bytes
/// that choose the frame lengths, then the data. What must hold:
/// - inflating never traps and never appends more than the limit, and the inflater's count is the
///   number of bytes appended;
/// - the message inflates to the same bytes, or fails the same way, whole and in frames;
/// - an inflater given back to the pool after anything at all inflates the next message correctly;
/// - what the compressor makes inflates back to the original, unless that is over the limit, when
///   the inflater says so.
package enum DeflateInflaterFuzzCase {
    /// 0 and 1 refuse almost everything; 16 KiB + 1 sits one byte past a default scratch chunk.
    private static let limits = [0, 1, 5, 100, 1024, 16 * 1024 + 1, 65_536, 1 << 20]
    private static let chunkSizes = [1024, 4096, 16 * 1024, 1024]
    private static let levels = [0, 1, 6, 9]
    /// RFC 7692 §7.2.3.1: "Hello", compressed.
    private static let hello: (compressed: [UInt8], plain: [UInt8]) = ([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], Array("Hello".utf8))

    /// Checks one input; throws when a property does not hold.
    package static func check(_ data: [UInt8]) throws(FuzzFailure) {
        var input = FuzzInput(data)
        let settings = input.byte()
        let limit = Self.limits[Int(settings & 0b111)]
        let chunkSize = Self.chunkSizes[Int(settings >> 3 & 0b11)]
        let compressFirst = settings & 0x20 != 0
        let level = Self.levels[Int(settings >> 6)]
        let (first, second) = (input.byte(), input.byte())
        let payload = input.rest()

        let pool = InflaterPool(maximumIdleInflaters: 1, chunkSize: chunkSize)
        if compressFirst {
            try Self.checkCompressedRoundTrip(payload, level: level, limit: limit, frameLengths: (first, second), pool: pool)
            return
        }
        let whole = try Self.inflate([payload[...]], limit: limit, pool: pool)
        let framed = try Self.inflate(fuzzChunks(payload, first: first, second: second), limit: limit, pool: pool)
        switch (whole, framed) {
        case (.success(let a), .success(let b)):
            try fuzzCheck(a == b, "the message inflated differently whole and in frames")
        case (.failure(let a), .failure(let b)):
            try fuzzCheck(a == b, "whole: \(a), in frames: \(b)")
        default:
            throw FuzzFailure("whole: \(whole), in frames: \(framed)")
        }
    }

    /// Builds an input: the seed corpus writes the unit tests' deflate fixtures through this.
    package static func input(frameLengths: (UInt8, UInt8) = (255, 255), compressed: [UInt8]) -> [UInt8] {
        // Limit 1 MiB, 16 KiB scratch, inflate as given.
        [0b0001_0111, frameLengths.0, frameLengths.1] + compressed
    }

    /// Inflates one message in `frames` (the last has FIN), checks the cap, then checks that the
    /// recycled inflater still inflates a known message right.
    private static func inflate(
        _ frames: [ArraySlice<UInt8>],
        limit: Int,
        pool: InflaterPool
    ) throws(FuzzFailure) -> Result<[UInt8], DeflateError> {
        let inflater: Inflater
        do throws(DeflateError) {
            inflater = try pool.take()
        } catch {
            throw FuzzFailure("no inflater: \(error)")
        }
        // A message always has a frame, if an empty one.
        let frames = frames.isEmpty ? [[][...]] : frames
        var output = ByteBuffer()
        var result: Result<[UInt8], DeflateError>
        do throws(DeflateError) {
            for (index, frame) in frames.enumerated() {
                try inflater.inflate(
                    ByteBuffer(bytes: frame),
                    isFinalFrameOfMessage: index == frames.count - 1,
                    limit: limit,
                    into: &output
                )
            }
            result = .success(Array(output.readableBytesView))
        } catch {
            result = .failure(error)
        }
        try fuzzCheck(output.readableBytes <= limit, "inflated \(output.readableBytes) bytes past the limit of \(limit)")
        try fuzzCheck(
            inflater.decompressedByteCount == output.readableBytes,
            "the inflater counted \(inflater.decompressedByteCount) bytes, appended \(output.readableBytes)"
        )
        pool.recycle(inflater)
        try Self.checkRecycledInflater(pool)
        return result
    }

    /// Whatever the last message did to it, a recycled inflater starts the next one afresh.
    private static func checkRecycledInflater(_ pool: InflaterPool) throws(FuzzFailure) {
        var output = ByteBuffer()
        do throws(DeflateError) {
            let inflater = try pool.take()
            try inflater.inflate(ByteBuffer(bytes: Self.hello.compressed), isFinalFrameOfMessage: true, limit: 100, into: &output)
            pool.recycle(inflater)
        } catch {
            throw FuzzFailure("a recycled inflater failed on a valid message: \(error)")
        }
        try fuzzCheck(Array(output.readableBytesView) == Self.hello.plain, "a recycled inflater inflated a valid message wrong")
    }

    /// The compressor's output, in frames, inflates to the original or fails on the limit.
    private static func checkCompressedRoundTrip(
        _ plain: [UInt8],
        level: Int,
        limit: Int,
        frameLengths: (UInt8, UInt8),
        pool: InflaterPool
    ) throws(FuzzFailure) {
        let compressor: DeflateCompressor
        do throws(DeflateError) {
            compressor = try DeflateCompressor(level: level)
        } catch {
            throw FuzzFailure("no compressor: \(error)")
        }
        let compressed = compressor.compress(ByteBuffer(bytes: plain), allocator: ByteBufferAllocator())
        let frames = fuzzChunks(Array(compressed.readableBytesView), first: frameLengths.0, second: frameLengths.1)
        switch try Self.inflate(frames, limit: limit, pool: pool) {
        case .success(let inflated):
            try fuzzCheck(inflated == plain, "a compressed message did not inflate to itself")
        case .failure(.messageTooBig):
            try fuzzCheck(plain.count > limit, "a message of \(plain.count) bytes was refused with the limit \(limit)")
        case .failure(let error):
            throw FuzzFailure("the compressor's output does not inflate: \(error)")
        }
    }
}
