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

// Reading header field pairs without NIOHTTP1 (DESIGN §3: SwiftletWebSocket imports NIOCore at
// most).

extension [(String, String)] {
    /// The values of every field called `name`, compared ASCII case-insensitively (RFC 9110
    /// §5.1), with optional whitespace trimmed (RFC 9110 §5.5), in order.
    ///
    /// - Parameter name: The field name in lower case.
    func values(named name: String) -> [String] {
        self.compactMap { field in
            isASCIICaseInsensitiveMatch(field.0, lowercasedName: name) ? trimmingOptionalWhitespace(field.1) : nil
        }
    }

    /// The elements of the comma-separated list fields called `name`, with every field line
    /// joined (RFC 9110 §5.3, §5.6.1), each element trimmed, empty elements dropped.
    ///
    /// - Parameter name: The field name in lower case.
    func tokens(named name: String) -> [String] {
        self.values(named: name).flatMap { value in
            value.split(separator: ",", omittingEmptySubsequences: false)
                .map(trimmingOptionalWhitespace)
                .filter { !$0.isEmpty }
        }
    }
}

/// Whether `field` is `name` in any ASCII case (RFC 9110 §5.1). Compares bytes in place: the
/// handshake looks up several fields, and lowercasing every field name for each lookup allocated
/// a string per field per lookup on every WebSocket connection set-up.
private func isASCIICaseInsensitiveMatch(_ field: String, lowercasedName name: String) -> Bool {
    var fieldBytes = field.utf8.makeIterator()
    for expected in name.utf8 {
        guard let byte = fieldBytes.next() else { return false }
        let lowered = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
        guard lowered == expected else { return false }
    }
    return fieldBytes.next() == nil
}

/// Drops leading and trailing spaces and tabs (OWS, RFC 9110 §5.6.3).
private func trimmingOptionalWhitespace(_ value: some StringProtocol) -> String {
    let isWhitespace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
    guard let first = value.firstIndex(where: { !isWhitespace($0) }),
        let last = value.lastIndex(where: { !isWhitespace($0) })
    else { return "" }
    return String(value[first...last])
}
