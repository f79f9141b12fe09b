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
import SwiftletAuth
import Synchronization

/// Rate-limits failed authentication per source address (DESIGN §6): after `burst` failures an
/// address may fail again only at `perSecond`; a failure beyond that is answered 0x9F (connection
/// rate exceeded) instead of its own reason code.
///
/// Many clients may share one address (a carrier NAT, an office), so the throttle answers
/// failures, not addresses: credentials that are cheap to check and cannot be guessed are checked
/// first, and a valid one gets in however much its neighbours failed (see ``CheckOrder``). Only
/// passwords of the password file, which people choose and which cost a configurable PBKDF2, are
/// not even checked while their address is throttled.
///
/// Shared by all loops behind one mutex touched only on a failure, or for a password-file login.
/// Bounded: past `maxAddresses` addresses all are forgotten and counting starts again.
package final class AuthFailureLimiter: Sendable {
    private let state = Mutex<[String: RateLimiter]>([:])
    private let perSecond: Int
    private let maxAddresses: Int

    package init(perSecond: Int = 10, maxAddresses: Int = 100_000) {
        self.perSecond = perSecond
        self.maxAddresses = maxAddresses
    }

    /// Whether `address` may have credentials checked now that are checked only within its
    /// budget (``CheckOrder/throttleFirst``).
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

    /// Records a failed attempt from `address`. Returns whether it was within the address's
    /// budget: false means the failure is throttled (answered 0x9F).
    @discardableResult
    package func failed(_ address: String, now: NIODeadline) -> Bool {
        state.withLock { limiters in
            if limiters[address] == nil, limiters.count >= maxAddresses { limiters.removeAll(keepingCapacity: true) }
            var limiter = limiters[address] ?? RateLimiter(rate: perSecond, now: now)
            let withinBudget = limiter.tryAcquire(now: now)
            limiters[address] = limiter
            return withinBudget
        }
    }
}

extension AuthFailureLimiter {
    /// Whether a CONNECT's credentials are checked before or after its address's throttle.
    package enum CheckOrder: Sendable, Hashable {
        /// Checked first, whatever the address's failures: valid credentials get in, and only a
        /// failure meets the throttle. For credentials whose check costs the same small, fixed
        /// amount whatever the configuration (no user name, a plain name without a password
        /// file: nothing to check; signatures and device credentials: one or two HMACs of the
        /// client ID; tokens: one HMAC-SHA256 per token, at most two tokens of at most
        /// `TokenCodec.maxEncodedLength` bytes) and that cannot be guessed (their secrets are
        /// keys, not words), so checking them during a flood costs about what reading the CONNECT
        /// did and teaches a guesser nothing.
        case credentialsFirst
        /// The throttle first: a throttled address's credentials are not checked at all. For the
        /// passwords of the password file: people choose them, so a guesser that got an answer
        /// for every attempt would eventually find one, and each check costs the file's PBKDF2
        /// iterations (up to `PasswordHash.maxIterations`, tens of milliseconds of an event loop).
        case throttleFirst
    }

    /// The order for a CONNECT with `username`, given whether a password file is configured
    /// (without one a plain user name is anonymous access with a name: nothing to check).
    package static func checkOrder(username: String?, hasPasswordFile: Bool) -> CheckOrder {
        guard hasPasswordFile, let username, case .plain = ClientCredential(username: username) else {
            return .credentialsFirst
        }
        return .throttleFirst
    }
}
