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

extension SubscriptionIndex {
    /// Every topic with a subscription by a filter without wildcards (a room), with how many
    /// subscriptions it has: each non-shared subscriber once, each shared group member once.
    /// Walks the hash table: for the admin API, not for the publish path. The topics are the
    /// keys' own substrings (no copy), so that the caller, who holds the index lock, holds it for
    /// a walk and not for an allocation per topic; it makes Strings after unlocking.
    package var exactTopicSubscriberCounts: [(topic: Substring, subscribers: Int)] {
        exactFilters.map { key, subscribers in
            let shared = subscribers.sharedGroups.reduce(0) { $0 + $1.members.count }
            return (key.text, subscribers.direct.count + shared)
        }
    }
}
