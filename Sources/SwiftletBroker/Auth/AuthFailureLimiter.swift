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

/// Rate-limits failed authentication per source address (DESIGN §6): after `burst` failures an
/// address may fail again only at `perSecond`, and until then its CONNECTs are refused before
/// any credential is looked at, so that guessing secrets costs the guesser time, not the broker.
///
/// Shared by all loops behind one mutex touched only on a failure or by an address that failed
/// before. Bounded: past `maxAddresses` the oldest-refilled entries are forgotten.
package final class AuthFailureLimiter: Sendable {
    private let state = Mutex<[String: RateLimiter]>([:])
    private let perSecond: Int
    private let maxAddresses: Int

    package init(perSecond: Int = 10, maxAddresses: Int = 100_000) {
        self.perSecond = perSecond
        self.maxAddresses = maxAddresses
    }

    /// Whether `address` may try to authenticate now.
    package func mayAttempt(_ address: String, now: NIODeadline) -> Bool {
        state.withLock { limiters in
            guard var limiter = limiters[address] else { return true }
            // Only failures spend tokens; an attempt just needs one to be there.
            let allowed = limiter.hasToken(now: now)
            // A full bucket is the same as no failures at all: forget the address.
            limiters[address] = limiter.isFull ? nil : limiter
            return allowed
        }
    }

    /// Records a failed attempt from `address`.
    package func failed(_ address: String, now: NIODeadline) {
        state.withLock { limiters in
            if limiters[address] == nil, limiters.count >= maxAddresses { limiters.removeAll(keepingCapacity: true) }
            var limiter = limiters[address] ?? RateLimiter(rate: perSecond, now: now)
            _ = limiter.tryAcquire(now: now)
            limiters[address] = limiter
        }
    }
}
