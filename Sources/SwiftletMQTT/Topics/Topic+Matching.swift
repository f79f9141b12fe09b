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

extension Topic {
    /// Whether a PUBLISH to `topic` matches a subscription to `filter` (MQTT 5 §4.7).
    ///
    /// - `+` matches exactly one level, which may be empty: `sport/+` matches `sport/` but not
    ///   `sport`; `+/+` matches `/finance`.
    /// - `#` matches the level it stands in and every level below, including none: `sport/#`
    ///   matches `sport`, `sport/` and `sport/tennis/player1`.
    /// - A filter starting with a wildcard does not match a topic starting with `$`
    ///   [MQTT-4.7.2-1]: `#` and `+/monitor/Clients` do not match `$SYS/monitor/Clients`, while
    ///   `$SYS/#` does.
    /// - Everything else compares level by level, byte for byte: matching is case-sensitive and no
    ///   Unicode normalization is applied [MQTT-4.7.3-4].
    ///
    /// This is the reference matcher, allocation-free, for retained-message scans, ACL checks and
    /// tests; the broker's subscription index must agree with it. Both arguments are expected to
    /// be valid (``isValidName(_:)``, ``isValidFilter(_:)``); for anything else the answer is
    /// unspecified but the call is safe. A shared subscription filter must be stripped to its
    /// topic filter first (``SharedSubscriptionFilter``).
    package static func matches(filter: String, topic: String) -> Bool {
        let filterBytes = filter.utf8
        let topicBytes = topic.utf8
        let slash = UInt8(ascii: "/")

        // [MQTT-4.7.2-1]
        if topicBytes.first == UInt8(ascii: "$"),
            let first = filterBytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "#")
        {
            return false
        }

        // Each cursor is the start of the next level, or nil once the last level was consumed.
        // Keeping "no more levels" apart from "an empty level" is what tells `sport/+` (no match
        // for `sport`) from `sport/#` (match).
        var filterCursor: String.UTF8View.Index? = filterBytes.startIndex
        var topicCursor: String.UTF8View.Index? = topicBytes.startIndex

        while let filterStart = filterCursor {
            let filterEnd = filterBytes[filterStart...].firstIndex(of: slash) ?? filterBytes.endIndex
            filterCursor = filterEnd == filterBytes.endIndex ? nil : filterBytes.index(after: filterEnd)
            let filterLevel = filterBytes[filterStart..<filterEnd]

            // `#` is the last level of a valid filter and matches whatever remains, even nothing.
            if filterLevel.count == 1, filterLevel.first == UInt8(ascii: "#") {
                return true
            }

            guard let topicStart = topicCursor else { return false }
            let topicEnd = topicBytes[topicStart...].firstIndex(of: slash) ?? topicBytes.endIndex
            topicCursor = topicEnd == topicBytes.endIndex ? nil : topicBytes.index(after: topicEnd)

            if filterLevel.count == 1, filterLevel.first == UInt8(ascii: "+") {
                continue
            }
            guard filterLevel.elementsEqual(topicBytes[topicStart..<topicEnd]) else { return false }
        }
        return topicCursor == nil
    }
}
