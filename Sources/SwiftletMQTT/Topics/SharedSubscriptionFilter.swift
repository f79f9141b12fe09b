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

/// A shared subscription, `$share/{ShareName}/{filter}` (MQTT 5 §4.8.2).
///
/// Subscribers with the same share name and filter form a group; each matching message goes to one
/// member of the group. The share name is called `group` here.
package struct SharedSubscriptionFilter: Sendable, Hashable {
    /// The share name: non-empty, without `/`, `+` or `#`.
    package var group: String
    /// The topic filter the group subscribes to; may hold wildcards.
    package var filter: String

    package init(group: String, filter: String) {
        self.group = group
        self.filter = filter
    }

    /// A subscription filter as it appears in SUBSCRIBE or UNSUBSCRIBE, sorted into plain and
    /// shared.
    package enum Parsed: Sendable, Hashable {
        /// A valid filter that is not a shared subscription.
        case plain(String)
        /// A valid shared subscription.
        case shared(group: String, filter: String)
        /// Neither: a plain filter with misplaced wildcards, or a `$share/` filter whose share name
        /// or topic filter is not valid. A server answers it with SUBACK 0x8F for this filter.
        case invalid
    }

    /// The prefix that makes a filter a shared subscription [MQTT-4.8.2-1].
    package static let prefix = "$share/"

    /// Sorts `subscriptionFilter` into a plain filter, a shared subscription or an invalid filter,
    /// validating it in the same pass (``Topic/isValidFilter(_:)`` for the topic filter part).
    ///
    /// Only the exact prefix `$share/` makes a filter shared: `$share` alone or `$SHARE/a/b` are
    /// plain filters on `$`-topics.
    package static func parse(_ subscriptionFilter: String) -> Parsed {
        let bytes = subscriptionFilter.utf8
        guard bytes.starts(with: Self.prefix.utf8) else {
            return Topic.isValidFilter(subscriptionFilter) ? .plain(subscriptionFilter) : .invalid
        }
        let nameStart = bytes.index(bytes.startIndex, offsetBy: Self.prefix.utf8.count)
        // [MQTT-4.8.2-2] the share name must be followed by `/`, which in turn is followed by a filter.
        guard let nameEnd = bytes[nameStart...].firstIndex(of: UInt8(ascii: "/")) else { return .invalid }
        let name = bytes[nameStart..<nameEnd]
        // [MQTT-4.8.2-1] at least one character; [MQTT-4.8.2-2] no `+` or `#` (nor `/`, by construction).
        guard !name.isEmpty, !name.contains(UInt8(ascii: "+")), !name.contains(UInt8(ascii: "#")) else {
            return .invalid
        }
        let filter = String(subscriptionFilter[bytes.index(after: nameEnd)...])
        guard Topic.isValidFilter(filter) else { return .invalid }
        return .shared(group: String(subscriptionFilter[nameStart..<nameEnd]), filter: filter)
    }

    /// The shared subscription in `subscriptionFilter`, or `nil` for a plain or invalid filter.
    package init?(parsing subscriptionFilter: String) {
        guard case .shared(let group, let filter) = Self.parse(subscriptionFilter) else { return nil }
        self.init(group: group, filter: filter)
    }

    /// The filter as it appears on the wire: `$share/{group}/{filter}`.
    package var subscriptionFilter: String {
        Self.prefix + self.group + "/" + self.filter
    }
}
