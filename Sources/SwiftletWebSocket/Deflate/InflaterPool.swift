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

/// Lends Inflaters for one message at a time, one pool per event loop (STYLE.md §3.4 item 5).
///
/// The server negotiates `client_no_context_takeover` on every connection, so an inflater is only
/// needed while a compressed message is arriving. A connection calls ``take()`` on the first frame of
/// such a message and ``recycle(_:)`` after its last frame (or when it closes mid-message). Idle
/// connections hold no zlib state; the loop holds at most ``maximumIdleInflaters`` idle ones
/// (about 39 KiB each: a 32 KiB window plus zlib's state) and one shared scratch area.
///
/// > Warning: Not thread-safe. A pool and its inflaters are confined to one event loop.
package final class InflaterPool {
    /// How many idle inflaters are kept for reuse; the rest are freed when recycled.
    package let maximumIdleInflaters: Int

    /// The size of the scratch area inflated output passes through, in bytes.
    package var chunkSize: Int { self.scratch.bytes.count }

    /// How many inflaters this pool has created, for tests and metrics.
    package private(set) var createdCount = 0

    /// How many idle inflaters are waiting in the pool.
    package var idleCount: Int { self.idle.count }

    private var idle: [Inflater] = []
    private let scratch: InflateScratch

    /// Creates an empty pool.
    ///
    /// - Parameters:
    ///   - maximumIdleInflaters: How many recycled inflaters to keep. Default 16.
    ///   - chunkSize: The scratch area's size; at least 1 KiB. Default 16 KiB.
    package init(maximumIdleInflaters: Int = 16, chunkSize: Int = 16 * 1024) {
        self.maximumIdleInflaters = max(0, maximumIdleInflaters)
        self.scratch = InflateScratch(byteCount: max(chunkSize, 1024))
        self.idle.reserveCapacity(self.maximumIdleInflaters)
    }

    /// Returns an idle inflater, or creates one.
    ///
    /// - Throws: ``DeflateError/zlibFailure(code:)`` when zlib cannot allocate a new one.
    package func take() throws(DeflateError) -> Inflater {
        if let inflater = self.idle.popLast() {
            return inflater
        }
        let inflater = try Inflater(scratch: self.scratch)
        self.createdCount += 1
        return inflater
    }

    /// Takes an inflater back at the end of a message, whether it succeeded or failed.
    ///
    /// The inflater is reset (`inflateReset`; RFC 7692 §7.2.2 with client_no_context_takeover, each
    /// message starts afresh) and kept if the pool has room, else freed.
    package func recycle(_ inflater: Inflater) {
        // Recycling twice would lend one inflater to two messages at once.
        assert(!self.idle.contains { $0 === inflater }, "inflater recycled twice")
        guard self.idle.count < self.maximumIdleInflaters else { return }
        inflater.reset()
        self.idle.append(inflater)
    }
}

@available(*, unavailable)
extension InflaterPool: Sendable {}

/// The scratch area inflaters of one pool write through. Only one inflate call runs at a time on an
/// event loop, so one area per loop is enough.
final class InflateScratch {
    let bytes: UnsafeMutableRawBufferPointer

    init(byteCount: Int) {
        self.bytes = .allocate(byteCount: byteCount, alignment: 16)
    }

    deinit {
        self.bytes.deallocate()
    }
}

@available(*, unavailable)
extension InflateScratch: Sendable {}
