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

/// A filter as a client sent it in SUBSCRIBE, cut into its share name and its topic filter proper.
///
/// The broker validates filters before they reach the index and answers a malformed one with 0x8F (Topic
/// Filter invalid). The index does not validate again, but it never traps on input either:
/// - a `$share/` prefix that does not follow [MQTT-4.8.2-1] and [MQTT-4.8.2-2] is not a share prefix, and the
///   whole text is filed as a non-shared filter (which is also what `$share/` means to an MQTT 3.1.1 broker that
///   has no shared subscriptions);
/// - only a level that is exactly `+`, or exactly `#` as the last level, is a wildcard. Anything else, such as
///   `a+` or a `#` that is not last, is filed as literal text, and so can match no valid topic name, since topic
///   names carry no wildcard characters [MQTT-3.3.2-2].
struct ParsedSubscriptionFilter {
    /// The ShareName of `$share/{ShareName}/{filter}`, or `nil` for a non-shared subscription.
    var shareName: Substring?
    /// The topic filter proper: the whole text, or what follows the share prefix.
    var topicFilter: Substring
    /// Whether `topicFilter` holds a wildcard level, and so belongs in the trie rather than the exact-topic hash.
    var hasWildcard: Bool

    init(_ filter: String) {
        let whole = filter[...]
        if let (shareName, topicFilter) = Self.splitSharePrefix(whole) {
            self.shareName = shareName
            self.topicFilter = topicFilter
        } else {
            self.shareName = nil
            self.topicFilter = whole
        }
        self.hasWildcard = Self.hasWildcard(self.topicFilter)
    }

    /// Cuts `$share/{ShareName}/{filter}` into its ShareName and filter, or returns `nil` if `filter` is not a
    /// well-formed shared subscription.
    private static func splitSharePrefix(_ filter: Substring) -> (shareName: Substring, topicFilter: Substring)? {
        let utf8 = filter.utf8
        let prefix = "$share/".utf8
        guard utf8.starts(with: prefix) else {
            return nil
        }
        let nameStart = utf8.index(utf8.startIndex, offsetBy: prefix.count)
        // [MQTT-4.8.2-2] The ShareName is followed by "/", so it cannot itself contain one.
        guard let nameEnd = utf8[nameStart...].firstIndex(of: UInt8(ascii: "/")) else {
            return nil
        }
        let name = utf8[nameStart..<nameEnd]
        // [MQTT-4.8.2-1] At least one character. [MQTT-4.8.2-2] No "+" or "#".
        guard !name.isEmpty, !name.contains(UInt8(ascii: "+")), !name.contains(UInt8(ascii: "#")) else {
            return nil
        }
        let topicFilterStart = utf8.index(after: nameEnd)
        // [MQTT-4.8.2-2] The "/" is followed by a topic filter, which is at least one character [MQTT-4.7.3-1].
        guard topicFilterStart < utf8.endIndex else {
            return nil
        }
        return (filter[nameStart..<nameEnd], filter[topicFilterStart...])
    }

    private static func hasWildcard(_ topicFilter: Substring) -> Bool {
        var levels = TopicLevels(topicFilter)
        while let level = levels.next() {
            if TopicLevels.isSingleLevelWildcard(level) {
                return true
            }
            if TopicLevels.isMultiLevelWildcard(level), levels.isFinished {
                return true
            }
        }
        return false
    }
}
