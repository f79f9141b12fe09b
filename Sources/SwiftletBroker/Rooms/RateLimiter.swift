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

/// A token bucket: `rate` tokens per second, holding at most one second's worth, so a burst of
/// up to `rate` messages passes after a quiet second and the long-run rate never exceeds `rate`.
///
/// A value type driven by the caller's clock, so it is tested without waiting.
package struct RateLimiter: Sendable, Hashable {
    package let rate: Int
    /// Tokens, scaled by 10⁹ so that refilling by elapsed nanoseconds needs no division.
    private var scaledTokens: Int64
    private var lastRefill: NIODeadline

    package init(rate: Int, now: NIODeadline) {
        precondition(rate > 0, "a rate limit is positive")
        self.rate = rate
        self.scaledTokens = Int64(rate) * 1_000_000_000
        self.lastRefill = now
    }

    /// Takes one token if there is one.
    package mutating func tryAcquire(now: NIODeadline) -> Bool {
        refill(now: now)
        guard scaledTokens >= 1_000_000_000 else { return false }
        scaledTokens -= 1_000_000_000
        return true
    }

    /// Whether a token is there, without taking it.
    package mutating func hasToken(now: NIODeadline) -> Bool {
        refill(now: now)
        return scaledTokens >= 1_000_000_000
    }

    /// Whether the bucket is full: as if nothing had been taken.
    package var isFull: Bool { scaledTokens == Int64(rate) * 1_000_000_000 }

    private mutating func refill(now: NIODeadline) {
        let elapsed = max(0, (now - lastRefill).nanoseconds)
        lastRefill = now
        let capacity = Int64(rate) * 1_000_000_000
        // elapsed × rate can overflow only after ~290 years at 1/s; clamp anyway.
        let (refill, overflow) = elapsed.multipliedReportingOverflow(by: Int64(rate))
        scaledTokens = overflow || refill >= capacity - scaledTokens ? capacity : scaledTokens + refill
    }
}
