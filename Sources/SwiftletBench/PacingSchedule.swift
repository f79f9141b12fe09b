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

/// When each publisher's messages are due, for a target total rate spread evenly over the
/// publishers: each sends at `rate / publishers` per second, and publisher `i` starts `i /
/// publishers` of its own interval later than publisher 0, so the sends interleave instead of
/// arriving at the broker in bursts.
package struct PacingSchedule: Hashable, Sendable {
    /// Messages per second for all publishers together.
    package let totalRate: Double
    package let publisherCount: Int

    package init(totalRate: Double, publisherCount: Int) {
        self.totalRate = max(0, totalRate)
        self.publisherCount = max(1, publisherCount)
    }

    /// Messages per second of one publisher.
    package var ratePerPublisher: Double { self.totalRate / Double(self.publisherCount) }

    /// The gap between two messages of one publisher, in nanoseconds.
    package var intervalNanoseconds: Double {
        self.ratePerPublisher > 0 ? 1e9 / self.ratePerPublisher : .infinity
    }

    /// How many messages `publisher` should have sent `elapsedNanoseconds` after the start.
    ///
    /// - Parameter publisher: The publisher's index, `0 ..< publisherCount`, which sets its phase.
    package func due(publisher: Int, elapsedNanoseconds: UInt64) -> UInt64 {
        guard self.ratePerPublisher > 0 else { return 0 }
        let offset = self.intervalNanoseconds * Double(publisher % self.publisherCount) / Double(self.publisherCount)
        let elapsed = Double(elapsedNanoseconds)
        guard elapsed >= offset else { return 0 }
        // The first message is due at the offset, the next one interval later, and so on.
        return UInt64(((elapsed - offset) / self.intervalNanoseconds).rounded(.down)) + 1
    }

    /// The most messages a publisher may be behind before the missed ones are skipped: a quarter
    /// of a second's worth, at least 1. A publisher that falls further behind (QoS 1 window
    /// full, loop overloaded) does not catch up in a burst; the skipped sends are counted.
    package var maximumBacklog: UInt64 {
        max(1, UInt64((self.ratePerPublisher / 4).rounded(.up)))
    }
}
