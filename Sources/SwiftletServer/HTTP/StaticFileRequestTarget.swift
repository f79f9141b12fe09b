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

/// The path of a static-file request, decoded and checked before it comes near the file system.
///
/// Parsing is purely lexical. It never resolves anything; ``StaticFileResolver`` does that, with
/// `realpath`, and refuses whatever lands outside the root. The two layers are independent on
/// purpose: this one rejects every traversal spelling it can see, the other one catches what it
/// cannot see (symbolic links).
///
/// What is rejected, and with which status:
/// - `400 Bad Request` for a target that is not origin-form or absolute-form (RFC 9112 §3.2),
///   an invalid percent escape (RFC 3986 §2.1), an encoded `/` or `\` (`%2F`, `%5C`) or NUL,
///   a backslash, a `..` segment (raw or encoded), or a path that is not UTF-8. None of these is
///   something a browser sends for a real file, so they are errors of the request.
/// - `404 Not Found` for a segment that starts with `.` (dot files such as `.git` or `.env` are
///   never served; saying "not found" does not confirm that they exist).
package struct StaticFileRequestTarget: Hashable, Sendable {
    /// Why a request target is refused.
    package enum Rejection: Error, Hashable, Sendable {
        /// Answer `400 Bad Request`; `reason` is for the log, never for the client.
        case badRequest(reason: String)
        /// Answer `404 Not Found`.
        case notFound
    }

    /// The decoded path segments, in order. None is empty, `.`, `..`, or starts with `.`.
    package var segments: [String]

    /// Whether the path ends with `/` (or is `/`), which asks for a directory.
    package var isDirectoryForm: Bool

    /// The path as received, still percent-encoded, without query or fragment.
    package var rawPath: String

    /// The query as received, without the `?`, if there was one.
    package var rawQuery: String?

    /// Parses the request-target of a request line.
    ///
    /// - Parameter uri: The request-target, as `HTTPRequestHead.uri` gives it.
    /// - Throws: ``Rejection`` when the target must not be served.
    package init(uri: String) throws(Rejection) {
        var target = Substring(uri)
        // A fragment is never sent by a conforming client (RFC 9112 §3.2); drop one if it is.
        if let hash = target.firstIndex(of: "#") {
            target = target[..<hash]
        }
        var query: Substring?
        if let question = target.firstIndex(of: "?") {
            query = target[target.index(after: question)...]
            target = target[..<question]
        }
        // RFC 9112 §3.2.2: a server MUST accept the absolute-form; only its path matters here.
        let lowercased = target.prefix(8).lowercased()
        if lowercased.hasPrefix("http://") || lowercased.hasPrefix("https://") {
            let afterScheme = target[target.index(target.startIndex, offsetBy: lowercased.hasPrefix("http://") ? 7 : 8)...]
            target = afterScheme.firstIndex(of: "/").map { afterScheme[$0...] } ?? "/"
        }
        // RFC 9112 §3.2.1: origin-form is an absolute path. Asterisk- and authority-form are for
        // OPTIONS and CONNECT, which never get here.
        guard target.first == "/" else {
            throw .badRequest(reason: "request-target is not origin-form")
        }

        var segments: [String] = []
        var endsInDirectory = true
        for rawSegment in target.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let segment = try Self.percentDecode(rawSegment)
            switch segment {
            case "", ".":
                // "a//b" and "a/./b" name "a/b"; a trailing "" or "." names the directory.
                endsInDirectory = true
                continue
            case "..":
                // Lexical traversal, encoded or not: refuse it outright rather than normalise it.
                throw .badRequest(reason: "dot-dot segment")
            default:
                break
            }
            if segment.hasPrefix(".") {
                throw .notFound
            }
            segments.append(segment)
            endsInDirectory = false
        }

        self.segments = segments
        self.isDirectoryForm = endsInDirectory
        self.rawPath = String(target)
        self.rawQuery = query.map(String.init)
    }

    /// Where a request for a directory without its trailing slash is redirected: the same path
    /// with the slash, and the query kept.
    ///
    /// Written from the decoded segments, not from the raw path: a raw path may start with `//`
    /// (`GET //example.com/docs`, whose segments still name the local `example.com/docs`), and a
    /// `Location` of `//example.com/docs/` is protocol-relative, a redirect to another site (RFC
    /// 3986 §4.2; found by the http-request-head fuzzer). Every byte a path segment or a query
    /// may not hold literally (RFC 3986 §3.3, §3.4) is percent-encoded, so nothing in the field
    /// can be read as a scheme, an authority, a control character or a line break.
    package var redirectLocation: String {
        var location = "/"
        for segment in self.segments {
            location += Self.percentEncoded(segment, keeping: Self.segmentBytes) + "/"
        }
        if let query = self.rawQuery {
            // The query stays as the client escaped it ("%" is kept), with anything else that
            // may not stand in a query escaped.
            location += "?" + Self.percentEncoded(query, keeping: Self.queryBytes)
        }
        return location
    }

    /// RFC 3986 §3.3 pchar less "%": unreserved, sub-delims, ":" and "@".
    private static let segmentBytes: Set<UInt8> = Set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@".utf8
    )

    /// RFC 3986 §3.4: pchar, "/" and "?", and "%" for the escapes already there.
    private static let queryBytes: Set<UInt8> = Self.segmentBytes.union("/?%".utf8)

    private static func percentEncoded(_ text: String, keeping allowed: Set<UInt8>) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if allowed.contains(byte) {
                bytes.append(byte)
            } else {
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Decodes one path segment once, refusing what could change the meaning of the path.
    private static func percentDecode(_ raw: Substring) throws(Rejection) -> String {
        // RFC 3986 §2.1: "%" HEXDIG HEXDIG, nothing else.
        guard let bytes = PercentDecoding.bytes(raw) else { throw .badRequest(reason: "invalid percent escape") }
        for byte in bytes {
            switch byte {
            case 0:
                throw .badRequest(reason: "NUL in path")
            case UInt8(ascii: "/"):
                // Only reachable through "%2F": a slash inside a segment would merge two segments.
                throw .badRequest(reason: "encoded slash in path")
            case UInt8(ascii: "\\"):
                throw .badRequest(reason: "backslash in path")
            default:
                continue
            }
        }
        guard let segment = String(validating: bytes, as: UTF8.self) else {
            throw .badRequest(reason: "path is not UTF-8")
        }
        return segment
    }
}
