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

/// The levels of a topic name or topic filter, cut at each `/` as slices of the text, without allocating.
///
/// Every `/` separates two levels, so empty levels are real levels (MQTT 5 §4.7.1.1): `"/a"` has the levels
/// `""` and `"a"`, `"a/"` has `"a"` and `""`, and `""` has the one level `""`.
///
/// The iterator is a small value: copying it forks the walk, which is how the trie follows a literal child and a
/// `+` child from the same point of a topic.
struct TopicLevels: Sequence, IteratorProtocol {
    private let text: Substring
    /// Where the next level starts, or `nil` once the last level has been returned.
    private var nextLevelStart: String.Index?

    init(_ text: Substring) {
        self.text = text
        self.nextLevelStart = text.startIndex
    }

    /// Whether every level has been returned.
    var isFinished: Bool {
        self.nextLevelStart == nil
    }

    mutating func next() -> Substring? {
        guard let start = self.nextLevelStart else {
            return nil
        }
        let utf8 = self.text.utf8
        // "/" is ASCII, so the byte positions around it are valid `String` indices.
        if let separator = utf8[start...].firstIndex(of: UInt8(ascii: "/")) {
            self.nextLevelStart = utf8.index(after: separator)
            return self.text[start..<separator]
        }
        self.nextLevelStart = nil
        return self.text[start...]
    }
}

extension TopicLevels {
    /// Whether `level` is the single-level wildcard, which must fill a whole level [MQTT-4.7.1-2].
    static func isSingleLevelWildcard(_ level: Substring) -> Bool {
        level.utf8.count == 1 && level.utf8.first == UInt8(ascii: "+")
    }

    /// Whether `level` is the multi-level wildcard, which must fill the last level [MQTT-4.7.1-1].
    static func isMultiLevelWildcard(_ level: Substring) -> Bool {
        level.utf8.count == 1 && level.utf8.first == UInt8(ascii: "#")
    }
}
