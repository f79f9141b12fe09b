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

/// Classifies the sequence numbers one subscriber receives from one publisher: in order, after a
/// gap, late (filling an earlier gap), or a duplicate, with constant memory per pair.
///
/// Like an anti-replay window (RFC 4303 §3.4.3), it remembers the highest number seen and which
/// of the 64 numbers below it arrived. A number more than 64 below the highest cannot be told
/// apart: it is reported as ``Outcome/tooOld`` and counted as neither loss nor duplicate.
package struct SequenceWindow: Hashable, Sendable {
    package enum Outcome: Hashable, Sendable {
        /// The next number expected.
        case inOrder
        /// Ahead of the next expected: `skipped` numbers are missing for now.
        case gap(skipped: UInt64)
        /// Below the highest and not seen before: it fills a gap (reordered).
        case late
        /// Seen before.
        case duplicate
        /// Too far below the highest to tell.
        case tooOld
    }

    /// The window size: how far back late arrivals and duplicates are recognised.
    package static let width: UInt64 = 64

    /// One more than the highest number seen; 0 before the first.
    private var next: UInt64 = 0
    /// Bit `i` set: number `next - 1 - i` arrived.
    private var seen: UInt64 = 0

    package init() {}

    package mutating func record(_ sequence: UInt64) -> Outcome {
        if sequence >= self.next {
            let skipped = sequence - self.next
            let shift = skipped + 1
            self.seen = shift >= Self.width ? 0 : self.seen << shift
            self.seen |= 1
            self.next = sequence + 1
            return skipped == 0 ? .inOrder : .gap(skipped: skipped)
        }
        let distance = self.next - 1 - sequence
        guard distance < Self.width else { return .tooOld }
        let bit: UInt64 = 1 << distance
        if self.seen & bit != 0 { return .duplicate }
        self.seen |= bit
        return .late
    }
}
