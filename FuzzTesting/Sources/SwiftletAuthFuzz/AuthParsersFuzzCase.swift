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
import SwiftletFuzzSupport

/// The credential-parser fuzz case (issue 14): everything SwiftletAuth reads from a client or a
/// file, one parser per input.
///
/// Input: a selector byte (its value modulo ``Parser/allCases``' count picks the parser), then the
/// text. What must hold, besides never trapping: every parser that has a writer round-trips
/// through it (parse(write(x)) == x), and a token is only accepted with a valid signature.
package enum AuthParsersFuzzCase {
    /// The parsers, in the order the selector byte picks them.
    package enum Parser: UInt8, CaseIterable, Sendable {
        /// ``ClientCredential`` and ``GroupedClientID`` from a CONNECT user name or client ID.
        case userName
        /// ``TokenPassword`` from a CONNECT password.
        case tokenPassword
        /// ``TokenUpload`` from a `$SYS/uploadToken` payload (JSON or the password form).
        case tokenUpload
        /// ``TokenCodec`` on an arbitrary token string.
        case tokenString
        /// ``TokenCodec`` on an arbitrary payload signed with a known key, so that the payload
        /// decoder behind the signature check is reached.
        case signedTokenPayload
        /// ``PasswordFile`` from a file's text.
        case passwordFile
        /// ``PasswordHash`` from one hash.
        case passwordHash
    }

    /// The access key the signed payloads and the token checks use.
    private static let accessKeyID = "fuzz-key"
    private static let secretKey = "fuzz-secret"

    /// Checks one input; throws when a property does not hold.
    package static func check(_ data: [UInt8]) throws(FuzzFailure) {
        var input = FuzzInput(data)
        let parser = Parser(rawValue: input.byte() % UInt8(Parser.allCases.count))!
        let bytes = input.rest()
        // Every parser takes a String but the upload; invalid UTF-8 is repaired, as NIO and the
        // MQTT decoder would have refused it before it got here.
        let text = String(decoding: bytes, as: UTF8.self)
        switch parser {
        case .userName: try Self.checkUserName(text)
        case .tokenPassword: try Self.checkTokenPassword(text)
        case .tokenUpload: try Self.checkTokenUpload(bytes)
        case .tokenString: try Self.checkTokenString(text)
        case .signedTokenPayload: try Self.checkSignedPayload(bytes)
        case .passwordFile: try Self.checkPasswordFile(text)
        case .passwordHash: try Self.checkPasswordHash(text)
        }
    }

    /// Builds an input: the seed corpus is written through this.
    package static func input(_ parser: Parser, _ bytes: [UInt8]) -> [UInt8] {
        [parser.rawValue] + bytes
    }

    /// A token payload signed with the fuzz key, as ``Parser/signedTokenPayload`` builds it from
    /// the input: `base64url(payload).base64url(HMAC-SHA256(secret, payload))`.
    package static func signedToken(payload: [UInt8]) -> String {
        let signature = HMAC<SHA256>.authenticationCode(for: payload, using: SymmetricKey(data: Array(Self.secretKey.utf8)))
        return Self.base64URL(payload) + "." + Self.base64URL(Array(signature))
    }

    // MARK: - Parsers

    private static func checkUserName(_ text: String) throws(FuzzFailure) {
        if let credential = ClientCredential(username: text) {
            try fuzzCheck(credential.username == text, "user name '\(text)' read as \(credential), written back differently")
        }
        if let grouped = GroupedClientID(text) {
            try fuzzCheck(
                !grouped.groupID.isEmpty && !grouped.deviceID.isEmpty && grouped.groupID + "@@@" + grouped.deviceID == text
                    && !grouped.groupID.contains("@@@"),
                "client ID '\(text)' split as \(grouped)"
            )
        }
    }

    private static func checkTokenPassword(_ text: String) throws(FuzzFailure) {
        guard let password = TokenPassword(text) else { return }
        try fuzzCheck(!password.tokens.isEmpty, "a token password without tokens")
        try fuzzCheck(TokenPassword(password.text) == password, "token password '\(text)' did not survive a round trip")
    }

    private static func checkTokenUpload(_ bytes: [UInt8]) throws(FuzzFailure) {
        guard let password = TokenUpload.parse(bytes) else { return }
        try fuzzCheck(
            !password.tokens.isEmpty && password.tokens.allSatisfy { !$0.token.isEmpty },
            "an upload read as an empty token"
        )
    }

    private static func checkTokenString(_ text: String) throws(FuzzFailure) {
        // Only a token whose second part is the HMAC of its first may verify: checked here with
        // a decoder of this file's own, so that a lenient parse in TokenCodec cannot hide a forgery.
        if let token = try? TokenCodec.verifySignature(text, secretKey: Self.secret) {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, let payload = Self.decodeBase64URL(parts[0]), let signature = Self.decodeBase64URL(parts[1])
            else {
                throw FuzzFailure("'\(text)' verified as \(token) without being two base64url parts")
            }
            let expected = HMAC<SHA256>.authenticationCode(for: payload, using: SymmetricKey(data: Array(Self.secretKey.utf8)))
            try fuzzCheck(Array(expected) == signature, "'\(text)' verified as \(token) with a wrong signature")
        }
        _ = try? TokenCodec.verify(text, now: 0, secretKey: { _ in nil })
    }

    private static func checkSignedPayload(_ payload: [UInt8]) throws(FuzzFailure) {
        let encoded = Self.signedToken(payload: payload)
        // Any key ID finds the secret: an exact ID would be a wall the fuzzer seldom gets past.
        guard let token = try? TokenCodec.verifySignature(encoded, secretKey: { _ in Self.secretKey }) else { return }
        try fuzzCheck(
            !token.filters.isEmpty && token.filters.count <= AccessToken.maxFilters && !token.actions.isEmpty
                && token.actions.isSubset(of: .readWrite),
            "a decoded token breaks the token rules: \(token)"
        )
        // The issuer writes the same token byte for byte, whenever it can issue one like it.
        guard token.expiresAt >= 60 else { return }
        guard
            let issued = try? TokenCodec.issue(
                accessKeyID: token.accessKeyID,
                secretKey: Self.secretKey,
                filters: token.filters,
                actions: token.actions,
                lifetime: 60,
                now: token.expiresAt - 60,
                id: token.id
            )
        else { return }
        try fuzzCheck(issued.token == token, "the issuer made \(issued.token) of \(token)")
        try fuzzCheck(issued.encoded == encoded, "the issuer wrote \(token) differently")
    }

    private static func checkPasswordFile(_ text: String) throws(FuzzFailure) {
        guard let file = try? PasswordFile(parsing: text) else { return }
        try fuzzCheck(file.users.allSatisfy { file[$0] != nil }, "a user of the password file has no hash")
        guard let reread = try? PasswordFile(parsing: file.text) else {
            throw FuzzFailure("a password file's own text does not parse")
        }
        try fuzzCheck(reread == file, "a password file did not survive a round trip")
        // Line ends are the editor's business: the same file with CRLF reads the same.
        let crlf = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { line in line.last == UInt8(ascii: "\r") ? Array(line) : Array(line) + [UInt8(ascii: "\r")] }
            .joined(separator: [UInt8(ascii: "\n")])
        let crlfFile = try? PasswordFile(parsing: String(decoding: Array(crlf), as: UTF8.self))
        try fuzzCheck(crlfFile == file, "the password file reads differently with CRLF line ends")
    }

    private static func checkPasswordHash(_ text: String) throws(FuzzFailure) {
        guard let hash = PasswordHash(text) else { return }
        try fuzzCheck(PasswordHash(hash.text) == hash, "password hash '\(text)' did not survive a round trip")
    }

    // MARK: - Helpers

    private static func secret(_ keyID: String) -> String? {
        keyID == Self.accessKeyID ? Self.secretKey : nil
    }

    /// RFC 4648 §5 without padding; nil for anything else.
    private static func decodeBase64URL(_ text: Substring) -> [UInt8]? {
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        guard text.utf8.allSatisfy(alphabet.contains) else { return nil }
        var standard = String(text).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)
        return Data(base64Encoded: standard).map(Array.init)
    }

    /// RFC 4648 §5 without padding, as TokenCodec writes it.
    private static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
