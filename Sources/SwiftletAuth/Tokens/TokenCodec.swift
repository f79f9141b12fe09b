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

/// Why a token was refused.
package struct TokenError: Error, Hashable, Sendable, CustomStringConvertible {
    package enum Code: Hashable, Sendable {
        case malformed
        case unknownAccessKey
        case badSignature
        case expired
        case invalidRequest
    }

    package var code: Code
    package var description: String

    init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}

/// Issues and checks tokens: `base64url(payload) "." base64url(HMAC-SHA256(secret, payload))`.
///
/// The payload is a small binary record, not JSON, so that a token of 100 filters stays a few
/// kilobytes and parsing it cannot be made expensive: version (1), actions (1), expiry (8, big
/// endian), id (1-byte length + bytes), access key id (2-byte length + bytes), filter count (1),
/// each filter (2-byte length + bytes). The signature is checked before anything in the payload
/// is trusted, and the payload must be consumed exactly.
package enum TokenCodec {
    static let version: UInt8 = 1
    /// Longest token accepted, in bytes: 100 filters of 256 bytes and change.
    package static let maxEncodedLength = 40_000

    /// Issues a token valid from `now` for `lifetime` seconds.
    /// - Throws: ``TokenError/Code/invalidRequest`` for no or too many filters, or a lifetime
    ///   outside ``AccessToken/lifetimeRange``.
    package static func issue(
        accessKeyID: String, secretKey: String, filters: [String], actions: TokenActions, lifetime: UInt64,
        now: UInt64, id: String = randomID()
    ) throws(TokenError) -> (token: AccessToken, encoded: String) {
        guard !filters.isEmpty, filters.count <= AccessToken.maxFilters else {
            throw TokenError(.invalidRequest, "a token needs 1 to \(AccessToken.maxFilters) topic filters")
        }
        guard filters.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 1024 }) else {
            throw TokenError(.invalidRequest, "token topic filters must be 1 to 1024 bytes")
        }
        guard AccessToken.lifetimeRange.contains(lifetime) else {
            throw TokenError(.invalidRequest, "a token lives 60 s to 30 days, not \(lifetime) s")
        }
        guard !actions.isEmpty else { throw TokenError(.invalidRequest, "a token needs R, W or RW") }
        guard id.utf8.count <= 255, accessKeyID.utf8.count <= 1024, !accessKeyID.isEmpty else {
            throw TokenError(.invalidRequest, "token id or access key id too long")
        }
        let token = AccessToken(
            id: id, accessKeyID: accessKeyID, filters: filters, actions: actions, expiresAt: now + lifetime)
        let payload = encodePayload(token)
        let signature = sign(payload, secretKey: secretKey)
        return (token, base64URL(payload) + "." + base64URL(signature))
    }

    /// Checks a token and returns what it grants.
    /// - Parameters:
    ///   - secretKey: the secret of an access key ID, nil for an unknown key.
    ///   - now: seconds since 1970.
    package static func verify(
        _ encoded: String, now: UInt64, secretKey: (String) -> String?
    ) throws(TokenError) -> AccessToken {
        let token = try verifySignature(encoded, secretKey: secretKey)
        guard !token.isExpired(now: now) else { throw TokenError(.expired, "token expired") }
        return token
    }

    /// Checks a token's form and signature but not its expiry: for revoking or describing a
    /// token, which an expired token may still be asked about.
    package static func verifySignature(
        _ encoded: String, secretKey: (String) -> String?
    ) throws(TokenError) -> AccessToken {
        guard encoded.utf8.count <= maxEncodedLength else { throw TokenError(.malformed, "token too long") }
        let parts = encoded.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = decodeBase64URL(parts[0]), let signature = decodeBase64URL(parts[1])
        else { throw TokenError(.malformed, "not a token") }
        // The key id is read before the signature is checked only to find the secret; nothing
        // else of the payload is used until the signature holds.
        guard let keyID = peekAccessKeyID(payload) else { throw TokenError(.malformed, "not a token") }
        guard let secret = secretKey(keyID) else { throw TokenError(.unknownAccessKey, "unknown access key") }
        guard constantTimeEquals(sign(payload, secretKey: secret), signature) else {
            throw TokenError(.badSignature, "bad token signature")
        }
        guard let token = decodePayload(payload) else { throw TokenError(.malformed, "not a token") }
        return token
    }

    /// 16 random bytes as hex.
    package static func randomID() -> String {
        let digits = Array("0123456789abcdef".utf8)
        var generator = SystemRandomNumberGenerator()
        var hex: [UInt8] = []
        for _ in 0..<16 {
            let byte = UInt8.random(in: 0...255, using: &generator)
            hex += [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
        }
        return String(decoding: hex, as: UTF8.self)
    }

    // MARK: - Payload

    static func encodePayload(_ token: AccessToken) -> [UInt8] {
        var bytes: [UInt8] = [version, token.actions.rawValue]
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: token.expiresAt >> shift)) }
        bytes.append(UInt8(token.id.utf8.count))
        bytes += token.id.utf8
        appendString(token.accessKeyID, to: &bytes)
        bytes.append(UInt8(token.filters.count))
        for filter in token.filters { appendString(filter, to: &bytes) }
        return bytes
    }

    private static func appendString(_ string: String, to bytes: inout [UInt8]) {
        let count = string.utf8.count
        bytes.append(UInt8(truncatingIfNeeded: count >> 8))
        bytes.append(UInt8(truncatingIfNeeded: count))
        bytes += string.utf8
    }

    private struct Reader {
        var bytes: [UInt8]
        var position = 0

        mutating func byte() -> UInt8? {
            guard position < bytes.count else { return nil }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func take(_ count: Int) -> [UInt8]? {
            guard count >= 0, bytes.count - position >= count else { return nil }
            defer { position += count }
            return Array(bytes[position..<position + count])
        }

        mutating func string(lengthBytes: Int) -> String? {
            var length = 0
            for _ in 0..<lengthBytes {
                guard let next = byte() else { return nil }
                length = length << 8 | Int(next)
            }
            guard let raw = take(length) else { return nil }
            return String(validating: raw, as: UTF8.self)
        }

        var isAtEnd: Bool { position == bytes.count }
    }

    private static func peekAccessKeyID(_ payload: [UInt8]) -> String? {
        var reader = Reader(bytes: payload)
        guard reader.byte() == version, reader.take(9) != nil, reader.string(lengthBytes: 1) != nil else { return nil }
        return reader.string(lengthBytes: 2)
    }

    static func decodePayload(_ payload: [UInt8]) -> AccessToken? {
        var reader = Reader(bytes: payload)
        guard reader.byte() == version, let actionBits = reader.byte(), let expiry = reader.take(8),
            let id = reader.string(lengthBytes: 1), let keyID = reader.string(lengthBytes: 2),
            let count = reader.byte(), count > 0, Int(count) <= AccessToken.maxFilters
        else { return nil }
        let actions = TokenActions(rawValue: actionBits)
        guard !actions.isEmpty, actions.isSubset(of: .readWrite) else { return nil }
        var filters: [String] = []
        for _ in 0..<count {
            guard let filter = reader.string(lengthBytes: 2), !filter.isEmpty else { return nil }
            filters.append(filter)
        }
        guard reader.isAtEnd else { return nil }
        let expiresAt = expiry.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return AccessToken(id: id, accessKeyID: keyID, filters: filters, actions: actions, expiresAt: expiresAt)
    }

    private static func sign(_ payload: [UInt8], secretKey: String) -> [UInt8] {
        let key = SymmetricKey(data: Array(secretKey.utf8))
        return Array(HMAC<SHA256>.authenticationCode(for: payload, using: key))
    }

    // MARK: - Base64url without padding (RFC 4648 §5)

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64URL(_ text: Substring) -> [UInt8]? {
        guard text.utf8.allSatisfy({ byte in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "_")
        })
        else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.utf8.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map(Array.init)
    }
}
