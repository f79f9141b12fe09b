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

/// The receive buffer sizes of every connection: NIO's `AdaptiveRecvByteBufferAllocator` policy
/// (double after a read that filled the buffer, halve after two reads that used at most half of
/// it) in 13 bytes instead of 33.
///
/// A channel stores its allocator as an existential, and an existential keeps a value of more
/// than three words in a heap box. The bootstrap's box is shared until the channel records its
/// first read, which copies it into a box of the channel's own: 49 bytes (64 with malloc's
/// overhead) for every connection, for its whole life. A value this small is stored inline.
struct ReceiveBufferSizes: RecvByteBufferAllocator {
    private let minimum: UInt32
    private let maximum: UInt32
    private var next: UInt32
    private var decreaseNow = false

    /// - Parameters: powers of two, `minimum <= initial <= maximum <= 1 << 30` (NIO's bound).
    init(minimum: Int, initial: Int, maximum: Int) {
        precondition(minimum > 0 && minimum <= initial && initial <= maximum && maximum <= 1 << 30)
        precondition([minimum, initial, maximum].allSatisfy { $0 & ($0 - 1) == 0 }, "sizes must be powers of two")
        self.minimum = UInt32(minimum)
        self.maximum = UInt32(maximum)
        self.next = UInt32(initial)
    }

    func buffer(allocator: ByteBufferAllocator) -> ByteBuffer {
        allocator.buffer(capacity: Int(next))
    }

    func nextBufferSize() -> Int? {
        Int(next)
    }

    /// The same decisions as `AdaptiveRecvByteBufferAllocator.record(actualReadBytes:)`.
    mutating func record(actualReadBytes: Int) -> Bool {
        let lowerBound = next >> 1
        let upperBound = next << 1
        if actualReadBytes <= Int(lowerBound) && lowerBound >= minimum {
            if decreaseNow {
                next = lowerBound
                decreaseNow = false
            } else {
                decreaseNow = true
            }
            return false
        }
        decreaseNow = false
        if actualReadBytes >= Int(next) && upperBound <= maximum {
            next = upperBound
            return true
        }
        return false
    }
}
