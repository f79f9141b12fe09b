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

/// What a token lets its holder do on its topics.
package struct TokenActions: OptionSet, Hashable, Sendable {
    package var rawValue: UInt8
    package init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Subscribe and receive.
    package static let read = TokenActions(rawValue: 1)
    /// Publish.
    package static let write = TokenActions(rawValue: 2)
    package static let readWrite: TokenActions = [.read, .write]

    /// `R`, `W` or `RW`, as in token passwords and the admin API.
    package init?(_ text: some StringProtocol) {
        switch text {
        case "R": self = .read
        case "W": self = .write
        case "RW": self = .readWrite
        default: return nil
        }
    }

    package var description: String {
        switch self {
        case .read: "R"
        case .write: "W"
        default: "RW"
        }
    }
}

/// A token a backend issues for a client (DESIGN §6): topic filters, actions and an expiry,
/// signed with the secret of the access key that issued it, so that the broker can check it
/// after a restart without a database. Revocation is by ``id``.
package struct AccessToken: Hashable, Sendable {
    /// Random, for revocation and logs; never a secret by itself.
    package var id: String
    /// The access key whose secret signs the token.
    package var accessKeyID: String
    /// Topic filters (wildcards allowed) the token covers.
    package var filters: [String]
    package var actions: TokenActions
    /// Seconds since 1970-01-01 UTC.
    package var expiresAt: UInt64

    /// Most topic filters in one token.
    package static let maxFilters = 100
    /// Shortest and longest lifetime a token is issued with, in seconds: 60 s to 30 days.
    package static let lifetimeRange: ClosedRange<UInt64> = 60...(30 * 24 * 3600)

    package init(id: String, accessKeyID: String, filters: [String], actions: TokenActions, expiresAt: UInt64) {
        self.id = id
        self.accessKeyID = accessKeyID
        self.filters = filters
        self.actions = actions
        self.expiresAt = expiresAt
    }

    /// Whether the token has expired at `now` (seconds since 1970).
    package func isExpired(now: UInt64) -> Bool { now >= expiresAt }
}
