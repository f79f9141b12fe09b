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
import SwiftletAuth
import Synchronization

/// What a revocation names: a token ID is random, but it is chosen by whoever issues the token,
/// so it is only unique together with the access key that signed it.
package struct RevokedTokenKey: Hashable, Sendable {
    package var accessKeyID: String
    package var tokenID: String

    package init(accessKeyID: String, tokenID: String) {
        self.accessKeyID = accessKeyID
        self.tokenID = tokenID
    }

    package init(_ token: AccessToken) {
        self.init(accessKeyID: token.accessKeyID, tokenID: token.id)
    }
}

/// Tokens revoked before their expiry (DESIGN §6). Each entry is kept until the token would have
/// expired anyway, after which the expiry check refuses it by itself.
///
/// In memory: the list does not survive a restart (until the SQLite store exists, issue 8).
/// Shared by all loops behind a mutex that only CONNECTs of token clients, token uploads and
/// revocations take: never PUBLISH or fan-out. Bounded by `limit`.
package final class TokenRevocationList: Sendable {
    private let entries = Mutex<[RevokedTokenKey: UInt64]>([:])
    private let limit: Int

    package init(limit: Int) {
        self.limit = limit
    }

    /// The outcome of ``revoke(_:now:)``.
    package enum Outcome: Sendable, Hashable {
        case revoked
        case alreadyRevoked
        /// The list holds `limit` unexpired entries.
        case full
    }

    /// Adds a token to the list, until `expiresAt` (seconds since 1970).
    package func revoke(_ key: RevokedTokenKey, expiresAt: UInt64, now: UInt64) -> Outcome {
        entries.withLock { entries in
            guard entries[key] == nil else { return .alreadyRevoked }
            if entries.count >= limit {
                // Expired tokens need no entry: the expiry check refuses them.
                entries = entries.filter { $0.value > now }
                guard entries.count < limit else { return .full }
            }
            entries[key] = expiresAt
            return .revoked
        }
    }

    package func isRevoked(_ key: RevokedTokenKey) -> Bool {
        entries.withLock { $0[key] != nil }
    }

    package func isRevoked(_ token: AccessToken) -> Bool {
        isRevoked(RevokedTokenKey(token))
    }

    package var count: Int { entries.withLock { $0.count } }
}
