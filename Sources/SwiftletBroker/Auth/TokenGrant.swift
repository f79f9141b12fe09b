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
import SwiftletMQTT

/// What one token lets its holder do, as the connection checks it on PUBLISH and SUBSCRIBE.
package struct TokenGrant: Sendable, Hashable {
    package var tokenID: String
    /// The access key that signed the token; with ``tokenID`` what a revocation names.
    package var accessKeyID: String
    package var filters: [String]
    package var actions: TokenActions
    /// Seconds since 1970.
    package var expiresAt: UInt64

    package init(_ token: AccessToken, actions: TokenActions) {
        self.tokenID = token.id
        self.accessKeyID = token.accessKeyID
        self.filters = token.filters
        // A token is used for what the password claims and what the token allows, no more.
        self.actions = token.actions.intersection(actions)
        self.expiresAt = token.expiresAt
    }
}

extension [TokenGrant] {
    /// Whether publishing to `topic` is granted.
    package func allowsPublish(to topic: String) -> Bool {
        contains { grant in
            grant.actions.contains(.write) && grant.filters.contains { Topic.matches(filter: $0, topic: topic) }
        }
    }

    /// Whether subscribing to `filter` is granted: some read grant covers every topic it matches.
    package func allowsSubscribe(to filter: String) -> Bool {
        contains { grant in
            grant.actions.contains(.read) && grant.filters.contains { TopicFilterCoverage.covers($0, filter) }
        }
    }
}

/// Whether one topic filter covers another: every topic `inner` matches, `outer` matches too.
package enum TopicFilterCoverage {
    package static func covers(_ outer: String, _ inner: String) -> Bool {
        let outerLevels = outer.split(separator: "/", omittingEmptySubsequences: false)
        let innerLevels = inner.split(separator: "/", omittingEmptySubsequences: false)
        // [MQTT-4.7.2-1] a leading wildcard does not reach `$` topics, which `inner` may name.
        if inner.hasPrefix("$"), let first = outerLevels.first, first == "#" || first == "+" { return false }
        var index = 0
        while index < outerLevels.count {
            let level = outerLevels[index]
            // `#` covers whatever remains, including nothing [MQTT-4.7.1-2].
            if level == "#" { return true }
            guard index < innerLevels.count else {
                // `inner` ended first: covered only if `outer` goes on with `/#` alone.
                return false
            }
            let innerLevel = innerLevels[index]
            if level == "+" {
                // `+` covers one level of any content, but not a multi-level `#`.
                if innerLevel == "#" { return false }
            } else if level != innerLevel {
                return false
            }
            index += 1
        }
        return innerLevels.count == outerLevels.count
    }
}
