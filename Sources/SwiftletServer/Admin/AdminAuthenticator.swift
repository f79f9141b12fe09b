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
import SwiftletAuth
import SwiftletBroker

/// Checks the credentials of an `/api/v1/` request (docs/admin-api.md, "Authentication").
///
/// Two ways in:
/// - `Authorization: Bearer <admin-token>` (RFC 6750 §2.1), the operator's token from the
///   configuration, compared in constant time.
/// - An access key of role `cloud`: `X-Swiftlet-AccessKey`, `X-Swiftlet-Timestamp` (Unix
///   milliseconds, within maxClockSkewMilliseconds of ours) and `X-Swiftlet-Signature`,
///   Base64(HMAC-SHA256(secret, METHOD \n PATH_WITH_QUERY \n TIMESTAMP \n hex(SHA256(body)))).
///   A valid signature by a `device` key is refused with 403: the key is known, its role is not
///   enough.
///
/// A pure value: no clock, no I/O, so every case is a unit test.
package struct AdminAuthenticator: Sendable {
    package enum Outcome: Sendable, Hashable {
        case accepted(principal: String)
        /// 401: no, unknown, malformed, stale or wrong credentials. The message says which, never
        /// what the right value would be.
        case unauthorized(String)
        /// 403: valid credentials of a role that may not use the API.
        case forbidden(String)
    }

    /// How far the signed timestamp may be from the server's clock: 300 s either way.
    package static let maxClockSkewMilliseconds: UInt64 = 300_000

    package static let accessKeyHeader = "X-Swiftlet-AccessKey"
    package static let timestampHeader = "X-Swiftlet-Timestamp"
    package static let signatureHeader = "X-Swiftlet-Signature"

    private let adminTokenDigest: [UInt8]?
    private let keys: [String: AccessKey]

    package init(adminToken: String?, accessKeys: [AccessKey]) {
        self.adminTokenDigest = adminToken.map { Array(SHA256.hash(data: Array($0.utf8))) }
        self.keys = Dictionary(accessKeys.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Whether any credential could ever be accepted; without one the API refuses everyone.
    package var hasCredentials: Bool {
        adminTokenDigest != nil || keys.values.contains { $0.role == .cloud }
    }

    /// - Parameters:
    ///   - header: the value of a request header field by name (case-insensitive), if present.
    ///   - target: the request target exactly as sent (path and query).
    ///   - nowMilliseconds: the server's clock, Unix milliseconds.
    package func authenticate(
        method: String, target: String, body: some Collection<UInt8>, nowMilliseconds: UInt64,
        header: (String) -> String?
    ) -> Outcome {
        guard hasCredentials else {
            return .unauthorized("the admin API has no credentials configured (admin-token or a cloud access key)")
        }
        if let authorization = header("Authorization") {
            return checkBearer(authorization)
        }
        guard let keyID = header(Self.accessKeyHeader) else {
            return .unauthorized("credentials required: a bearer token or a signed request")
        }
        guard let key = keys[keyID] else { return .unauthorized("unknown access key") }
        guard let timestampText = header(Self.timestampHeader), let timestamp = UInt64(timestampText) else {
            return .unauthorized("\(Self.timestampHeader) must be Unix milliseconds")
        }
        let skew = timestamp > nowMilliseconds ? timestamp - nowMilliseconds : nowMilliseconds - timestamp
        guard skew <= Self.maxClockSkewMilliseconds else {
            return .unauthorized("stale request: \(Self.timestampHeader) is more than 300 s from the server's clock")
        }
        guard let signatureText = header(Self.signatureHeader), let signature = Data(base64Encoded: signatureText)
        else {
            return .unauthorized("\(Self.signatureHeader) must be Base64")
        }
        let canonical = RequestSignature.canonicalRequest(method: method, target: target, timestamp: timestampText, body: body)
        let valid = HMAC<SHA256>.isValidAuthenticationCode(
            signature, authenticating: Array(canonical.utf8), using: SymmetricKey(data: Array(key.secret.utf8)))
        guard valid else { return .unauthorized("bad signature") }
        guard key.role == .cloud else { return .forbidden("access key '\(keyID)' has role device; the admin API needs cloud") }
        return .accepted(principal: "key:\(keyID)")
    }

    private func checkBearer(_ authorization: String) -> Outcome {
        // RFC 9110 §11.1: the scheme is case-insensitive.
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", let expected = adminTokenDigest else {
            return .unauthorized("bad credentials")
        }
        // Digests of equal length compared in constant time: neither the token's bytes nor its
        // length leak through timing.
        let given = SHA256.hash(data: Array(parts[1].trimmingCharacters(in: .whitespaces).utf8))
        guard constantTimeEquals(Array(given), expected) else { return .unauthorized("bad credentials") }
        return .accepted(principal: "admin-token")
    }
}
