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
import Crypto
import Foundation

/// The signature of an admin API request (docs/admin-api.md "Authentication"), made by a client
/// with an access key's secret and checked by the broker:
/// `Base64(HMAC-SHA256(secret, METHOD \n PATH_WITH_QUERY \n TIMESTAMP \n hex(SHA256(body))))`.
///
/// The body's digest is signed, not the body, so a request of any size signs in one pass over a
/// short string; the timestamp lets the broker refuse old requests.
package enum RequestSignature {
    /// What a request signs: `METHOD \n PATH_WITH_QUERY \n TIMESTAMP \n hex(SHA256(body))`.
    package static func canonicalRequest(
        method: String, target: String, timestamp: String, body: some Collection<UInt8>
    ) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(2 * SHA256.byteCount)
        for byte in SHA256.hash(data: Array(body)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return method + "\n" + target + "\n" + timestamp + "\n" + String(decoding: hex, as: UTF8.self)
    }

    /// The value of the `X-Swiftlet-Signature` header.
    package static func signature(
        secret: String, method: String, target: String, timestamp: String, body: some Collection<UInt8>
    ) -> String {
        let canonical = canonicalRequest(method: method, target: target, timestamp: timestamp, body: body)
        let code = HMAC<SHA256>.authenticationCode(
            for: Array(canonical.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return Data(code).base64EncodedString()
    }
}
