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

/// The bytes at the start of every message the load generator publishes: who sent it, its
/// number, and when, so a subscriber measures latency and counts loss without any side channel.
///
/// Layout, big-endian (24 bytes, padded with zeros to the message size):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | magic `SWB1`, to tell bench messages from anything else on the topic |
/// | 4 | 4 | publisher ID |
/// | 8 | 8 | sequence number, from 0 per publisher |
/// | 16 | 8 | send time, monotonic nanoseconds (`NIODeadline.now().uptimeNanoseconds`) |
///
/// The same process sends and receives, so the monotonic clock is shared and no clock sync is
/// needed.
package struct BenchPayload: Hashable, Sendable {
    /// `SWB1` in ASCII.
    package static let magic: UInt32 = 0x5357_4231
    /// The smallest message that holds the header.
    package static let headerSize = 24

    package var publisherID: UInt32
    package var sequence: UInt64
    package var sentAtNanoseconds: UInt64

    package init(publisherID: UInt32, sequence: UInt64, sentAtNanoseconds: UInt64) {
        self.publisherID = publisherID
        self.sequence = sequence
        self.sentAtNanoseconds = sentAtNanoseconds
    }

    /// A zero-filled message of `size` bytes (at least ``headerSize``) to stamp again and again
    /// with ``stamp(into:)``.
    package static func template(size: Int) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: max(size, Self.headerSize))
        buffer.writeRepeatingByte(0, count: max(size, Self.headerSize))
        return buffer
    }

    /// Overwrites the header of `buffer` in place (no allocation while `buffer` is uniquely
    /// referenced, as it is once a publish has copied it out).
    package func stamp(into buffer: inout ByteBuffer) {
        let start = buffer.readerIndex
        buffer.setMultipleIntegers(Self.magic, self.publisherID, self.sequence, self.sentAtNanoseconds, at: start)
    }

    /// Reads the header of a received message without copying it.
    ///
    /// - Returns: `nil` if the message is too short or has no magic.
    package init?(parsing buffer: ByteBuffer) {
        guard buffer.readableBytes >= Self.headerSize,
            let (magic, publisherID, sequence, sentAt) = buffer.getMultipleIntegers(
                at: buffer.readerIndex, as: (UInt32, UInt32, UInt64, UInt64).self),
            magic == Self.magic
        else { return nil }
        self.init(publisherID: publisherID, sequence: sequence, sentAtNanoseconds: sentAt)
    }
}
