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

/// Splits `Sec-WebSocket-Extensions` values into offers and parameters (RFC 6455 §9.1).
///
/// ```
/// extension-list  = 1#extension
/// extension       = extension-token *( ";" extension-param )
/// extension-param = token [ "=" (token | quoted-string) ]
/// ```
///
/// Commas and semicolons inside quoted strings do not split. Empty list elements are skipped
/// (RFC 7230 §7). Optional whitespace around separators is allowed. A quoted value is unescaped and
/// must then be a token (RFC 6455 §9.1). Anything else that does not match makes the element
/// malformed: ``offer(from:)`` returns `nil` and the caller treats the offer as declined.
enum ExtensionHeaderParser {
    /// One parameter of an offer: `name` or `name=value`, with a quoted value already unescaped.
    struct Parameter: Hashable {
        var name: Substring
        var value: Substring?
    }

    /// One extension offer: its token and its parameters in order, duplicates kept.
    struct Offer: Hashable {
        var name: Substring
        var parameters: [Parameter]
    }

    /// The comma-separated elements of one header value, trimmed, empty ones left out.
    static func elements(of headerValue: Substring) -> [Substring] {
        Self.split(headerValue, at: UInt8(ascii: ",")).compactMap { element in
            let trimmed = Self.trimmed(element)
            return trimmed.isEmpty ? nil : trimmed
        }
    }

    /// Parses one element, or returns `nil` when it is malformed.
    static func offer(from element: Substring) -> Offer? {
        let parts = Self.split(element, at: UInt8(ascii: ";"))
        guard let first = parts.first else { return nil }
        let name = Self.trimmed(first)
        guard Self.isToken(name) else { return nil }

        var parameters: [Parameter] = []
        parameters.reserveCapacity(parts.count - 1)
        for part in parts.dropFirst() {
            guard let parameter = Self.parameter(from: part) else { return nil }
            parameters.append(parameter)
        }
        return Offer(name: name, parameters: parameters)
    }

    // MARK: - Pieces

    private static func parameter(from part: Substring) -> Parameter? {
        guard let equals = part.utf8.firstIndex(of: UInt8(ascii: "=")) else {
            let name = Self.trimmed(part)
            return Self.isToken(name) ? Parameter(name: name, value: nil) : nil
        }
        let name = Self.trimmed(part[..<equals])
        let rawValue = Self.trimmed(part[part.utf8.index(after: equals)...])
        guard Self.isToken(name) else { return nil }
        if rawValue.utf8.first == UInt8(ascii: "\"") {
            // RFC 6455 §9.1: a quoted-string value, once unescaped, must conform to `token`.
            guard let unquoted = Self.unquoted(rawValue), Self.isToken(unquoted) else { return nil }
            return Parameter(name: name, value: unquoted)
        }
        return Self.isToken(rawValue) ? Parameter(name: name, value: rawValue) : nil
    }

    /// Unescapes a quoted-string (RFC 7230 §3.2.6) that must span all of `value`.
    private static func unquoted(_ value: Substring) -> Substring? {
        var bytes = value.utf8.dropFirst()
        guard bytes.last == UInt8(ascii: "\"") else { return nil }
        bytes = bytes.dropLast()
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var escaped = false
        for byte in bytes {
            if escaped {
                result.append(byte)
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                // An unescaped quote before the end: the string closed early.
                return nil
            } else {
                result.append(byte)
            }
        }
        guard !escaped else { return nil }
        return Substring(decoding: result, as: UTF8.self)
    }

    /// Splits at `separator` outside quoted strings.
    private static func split(_ value: Substring, at separator: UInt8) -> [Substring] {
        var parts: [Substring] = []
        var start = value.utf8.startIndex
        var inQuotes = false
        var escaped = false
        var index = start
        while index != value.utf8.endIndex {
            let byte = value.utf8[index]
            if escaped {
                escaped = false
            } else if inQuotes && byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
            } else if !inQuotes && byte == separator {
                parts.append(value[start..<index])
                start = value.utf8.index(after: index)
            }
            index = value.utf8.index(after: index)
        }
        parts.append(value[start..<value.utf8.endIndex])
        return parts
    }

    private static func trimmed(_ value: Substring) -> Substring {
        let isWhitespace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = value.utf8.firstIndex(where: { !isWhitespace($0) }),
            let last = value.utf8.lastIndex(where: { !isWhitespace($0) })
        else { return value[value.endIndex...] }
        return value[first...last]
    }

    /// `token = 1*tchar` (RFC 7230 §3.2.6).
    private static func isToken(_ value: Substring) -> Bool {
        !value.utf8.isEmpty && value.utf8.allSatisfy(Self.isTokenCharacter)
    }

    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
