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

/// Topic names and topic filters (MQTT 5 §4.7, MQTT 3.1.1 §4.7).
///
/// A topic name is what a PUBLISH is sent to; a topic filter is what a SUBSCRIBE asks for and may
/// hold the wildcards `+` (one level) and `#` (this level and every level below). Levels are
/// separated by `/` and may be empty.
///
/// The decoder guarantees only that names and filters are well-formed UTF-8 without U+0000 and at
/// most 65,535 bytes. Wildcard placement in filters is checked here, by the broker, so that it can
/// answer an invalid filter with SUBACK 0x8F for that filter alone.
package enum Topic {
    /// The longest topic name or filter, in bytes of UTF-8 [MQTT-4.7.3-3].
    package static let maximumLength = 65_535

    /// Whether `name` may be published to: non-empty, no wildcard, no U+0000, at most 65,535 bytes.
    package static func isValidName(_ name: String) -> Bool {
        let bytes = name.utf8
        // [MQTT-4.7.3-1] at least one character; [MQTT-4.7.3-3] at most 65,535 bytes.
        guard !bytes.isEmpty, bytes.count <= Self.maximumLength else { return false }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "+"), UInt8(ascii: "#"):
                return false  // [MQTT-4.7.1-1] [MQTT-3.3.2-2]
            case 0:
                return false  // [MQTT-4.7.3-2]
            default:
                continue
            }
        }
        return true
    }

    /// Whether `filter` may be subscribed to: non-empty, at most 65,535 bytes, no U+0000, `#` only as
    /// the whole last level, `+` only as a whole level.
    ///
    /// A shared subscription filter (`$share/{group}/{filter}`) is checked with
    /// ``SharedSubscriptionFilter/parse(_:)`` instead; passed here whole it is judged as a plain filter.
    package static func isValidFilter(_ filter: String) -> Bool {
        let bytes = filter.utf8
        // [MQTT-4.7.3-1] at least one character; [MQTT-4.7.3-3] at most 65,535 bytes.
        guard !bytes.isEmpty, bytes.count <= Self.maximumLength else { return false }
        let slash = UInt8(ascii: "/")
        // nil at the start of the filter, which is also the start of a level.
        var previous: UInt8? = nil
        for byte in bytes {
            switch byte {
            case 0:
                return false  // [MQTT-4.7.3-2]
            case UInt8(ascii: "#"), UInt8(ascii: "+"):
                // [MQTT-4.7.1-2] [MQTT-4.7.1-3] a wildcard occupies an entire level.
                guard previous == nil || previous == slash else { return false }
            default:
                // [MQTT-4.7.1-2] nothing follows `#`, not even a separator.
                if previous == UInt8(ascii: "#") { return false }
                // [MQTT-4.7.1-3] `+` is followed by a separator or the end.
                if previous == UInt8(ascii: "+"), byte != slash { return false }
            }
            previous = byte
        }
        return true
    }

    /// Whether `filter` contains a wildcard level, so that it needs the wildcard index rather than an
    /// exact-topic lookup. Meaningful for valid filters.
    package static func hasWildcard(_ filter: String) -> Bool {
        filter.utf8.contains { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }
    }

    /// Whether `topic` starts with `$`, the prefix of server-specific topics such as `$SYS/` that
    /// wildcards at the first level do not match [MQTT-4.7.2-1].
    package static func isDollarTopic(_ topic: String) -> Bool {
        topic.utf8.first == UInt8(ascii: "$")
    }

    /// The number of levels in a topic name or filter: separators plus one, empty levels included.
    ///
    /// `"a/b"` has 2 levels, `"/"` has 2 (both empty), `"a"` has 1.
    package static func levelCount(_ topicOrFilter: String) -> Int {
        var count = 1
        for byte in topicOrFilter.utf8 where byte == UInt8(ascii: "/") {
            count += 1
        }
        return count
    }

    /// Whether a topic name or filter stays within a server's limits on its length and depth
    /// (DESIGN §9), counting without allocating and stopping at the first level over the limit.
    ///
    /// - Parameters:
    ///   - maximumBytes: The most bytes of UTF-8 allowed; at most ``maximumLength`` is meaningful.
    ///   - maximumLevels: The most levels allowed, as ``levelCount(_:)`` counts them.
    package static func fits(_ topicOrFilter: String, maximumBytes: Int, maximumLevels: Int) -> Bool {
        let bytes = topicOrFilter.utf8
        guard bytes.count <= maximumBytes else { return false }
        var levels = 1
        for byte in bytes where byte == UInt8(ascii: "/") {
            levels += 1
            if levels > maximumLevels { return false }
        }
        return levels <= maximumLevels
    }

    /// The levels of a topic name or filter, empty levels included: `"/a//b"` is `["", "a", "", "b"]`.
    package static func levels(_ topicOrFilter: String) -> [Substring] {
        topicOrFilter.split(separator: "/", omittingEmptySubsequences: false)
    }
}
