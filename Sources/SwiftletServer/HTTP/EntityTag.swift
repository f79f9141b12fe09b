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

/// An entity tag (RFC 9110 §8.8.3) and the `If-None-Match` precondition (RFC 9110 §13.1.2).
///
/// Static files get a weak tag made of their size and modification time. It is weak because it
/// is not a digest of the bytes: two versions of a file written within the file system's time
/// resolution, with the same size, share it (RFC 9110 §8.8.1). `If-None-Match` uses the weak
/// comparison anyway, so a weak tag loses nothing for `304 Not Modified`.
package struct EntityTag: Hashable, Sendable {
    /// The opaque-tag without quotes.
    package var opaqueTag: String
    /// Whether the tag is weak (`W/"…"`).
    package var isWeak: Bool

    package init(opaqueTag: String, isWeak: Bool) {
        self.opaqueTag = opaqueTag
        self.isWeak = isWeak
    }

    /// The weak tag of a file of `size` bytes last modified at the given time.
    package init(fileSize: Int, modificationSeconds: Int64, modificationNanoseconds: Int64) {
        self.init(
            opaqueTag: "\(String(fileSize, radix: 16))-\(String(modificationSeconds, radix: 16))"
                + ".\(String(modificationNanoseconds, radix: 16))",
            isWeak: true
        )
    }

    /// The field value: `W/"opaque"` or `"opaque"`.
    package var fieldValue: String {
        self.isWeak ? "W/\"\(self.opaqueTag)\"" : "\"\(self.opaqueTag)\""
    }

    /// Whether `If-None-Match` with these field lines is false for a representation tagged
    /// `self`, i.e. whether the server answers `304 Not Modified` to a GET or HEAD.
    ///
    /// RFC 9110 §13.1.2: `*` matches any current representation; otherwise the list matches if
    /// any member is equal to `self` under the weak comparison (§8.8.3.2), which ignores `W/`.
    /// A malformed member ends the parse of its field line; the members before it still count.
    /// The parse does not split on commas first, because an opaque-tag may contain one.
    package func matches(ifNoneMatch fieldLines: [String]) -> Bool {
        for line in fieldLines {
            var bytes = Substring(line).utf8[...]
            while true {
                // Skip the list separators and OWS (RFC 9110 §5.6.1).
                while let byte = bytes.first, byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ") || byte == 9 {
                    bytes = bytes.dropFirst()
                }
                guard let first = bytes.first else { break }
                if first == UInt8(ascii: "*") {
                    return true
                }
                if bytes.starts(with: "W/".utf8) {
                    bytes = bytes.dropFirst(2)
                }
                guard bytes.first == UInt8(ascii: "\"") else { break }
                bytes = bytes.dropFirst()
                guard let close = bytes.firstIndex(of: UInt8(ascii: "\"")) else { break }
                if bytes[..<close].elementsEqual(self.opaqueTag.utf8) {
                    return true
                }
                bytes = bytes[bytes.index(after: close)...]
            }
        }
        return false
    }
}
