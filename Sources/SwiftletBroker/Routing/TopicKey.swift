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

/// A topic name, topic filter, topic level or share name as a dictionary key that compares UTF-8 bytes.
///
/// `String` equality and hashing follow Unicode canonical equivalence, so `"é"` (U+00E9) and `"e\u{301}"` would
/// be one and the same `[String: …]` key. MQTT forbids that: the server must not normalize topic names or filters
/// when it matches them [MQTT-4.7.3-4], and compares them character by character [MQTT-3.10.4-1]. This key
/// compares and hashes the bytes instead, which is also cheaper than normalizing.
///
/// It wraps a `Substring` so that a level of a published topic can be looked up without allocating.
struct TopicKey: Hashable, Sendable {
    /// The text of the key.
    var text: Substring

    /// Wraps `text` without copying it; for look-ups.
    init(_ text: Substring) {
        self.text = text
    }

    /// Copies `text` into storage of its own; for keys that are stored, so that they do not keep the larger
    /// string they were cut from alive.
    init(copying text: Substring) {
        self.text = Substring(String(text))
    }

    static func == (lhs: Self, rhs: Self) -> Bool {
        let equal = lhs.text.utf8.withContiguousStorageIfAvailable { lhsBytes in
            rhs.text.utf8.withContiguousStorageIfAvailable { rhsBytes in
                lhsBytes.count == rhsBytes.count && lhsBytes.elementsEqual(rhsBytes)
            }
        }
        // Native strings are contiguous; the byte-wise walk is only for the rare string that is not.
        return (equal ?? nil) ?? lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    func hash(into hasher: inout Hasher) {
        let hashed: Void? = self.text.utf8.withContiguousStorageIfAvailable { bytes in
            hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
        }
        if hashed == nil {
            // Feed the same bytes through the same call, so that equal keys hash alike whatever their storage.
            Array(self.text.utf8).withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }
}
