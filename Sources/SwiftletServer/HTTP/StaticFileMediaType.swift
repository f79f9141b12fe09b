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

/// The `Content-Type` of a static file, by file name extension.
///
/// Text types carry `charset=utf-8`, because the demo page and its assets are UTF-8 and a
/// browser otherwise guesses (RFC 9110 §8.3.2). Anything unknown is
/// `application/octet-stream`, which together with `X-Content-Type-Options: nosniff` means a
/// browser downloads it rather than sniffing it into something executable.
package enum StaticFileMediaType {
    /// The default for an unknown extension (RFC 9110 §8.3).
    package static let fallback = "application/octet-stream"

    /// The `Content-Type` field value for a file named `fileName`.
    package static func contentType(forFileName fileName: some StringProtocol) -> String {
        guard let dot = fileName.lastIndex(of: ".") else { return Self.fallback }
        let fileExtension = fileName[fileName.index(after: dot)...].lowercased()
        return Self.byExtension[fileExtension] ?? Self.fallback
    }

    /// Whether files of this `Content-Type` must be revalidated on every use (see
    /// ``StaticFileHandler/Configuration/cacheMaxAge``).
    package static func isHTML(_ contentType: String) -> Bool {
        contentType.hasPrefix("text/html")
    }

    private static let byExtension: [String: String] = [
        "html": "text/html; charset=utf-8",
        "htm": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8",
        // RFC 9239 §6: text/javascript is the one JavaScript media type.
        "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8",
        "json": "application/json",
        "map": "application/json",
        "txt": "text/plain; charset=utf-8",
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "svg": "image/svg+xml",
        "ico": "image/vnd.microsoft.icon",
        "webp": "image/webp",
        "woff2": "font/woff2",
        "wasm": "application/wasm",
    ]
}
