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
import SwiftletAuth
import Testing

@Suite("Tokens")
struct TokenTests {
    let now: UInt64 = 1_790_000_000
    let secrets = ["AK1": "secret-one", "AK2": "secret-two"]

    func issue(
        filters: [String] = ["chat/#", "live/+/comments"], actions: TokenActions = .readWrite, lifetime: UInt64 = 3600
    ) throws(TokenError) -> (token: AccessToken, encoded: String) {
        try TokenCodec.issue(
            accessKeyID: "AK1", secretKey: "secret-one", filters: filters, actions: actions, lifetime: lifetime,
            now: now)
    }

    func verify(_ encoded: String, at time: UInt64? = nil) throws(TokenError) -> AccessToken {
        try TokenCodec.verify(encoded, now: time ?? now, secretKey: { secrets[$0] })
    }

    func failure(_ body: () throws(TokenError) -> AccessToken) -> TokenError.Code? {
        do {
            _ = try body()
            return nil
        } catch {
            return error.code
        }
    }

    @Test("An issued token verifies to what was issued, until it expires")
    func roundTrip() throws {
        let (token, encoded) = try issue()
        #expect(try verify(encoded) == token)
        #expect(token.expiresAt == now + 3600)
        #expect(token.id.count == 32)
        #expect(try verify(encoded, at: now + 3599) == token)
        #expect(failure { () throws(TokenError) in try verify(encoded, at: now + 3600) } == .expired)
        #expect(!encoded.contains("="), "base64url without padding")
    }

    @Test("A changed byte anywhere breaks the signature or the format")
    func tampering() throws {
        let (_, encoded) = try issue()
        var bytes = Array(encoded.utf8)
        for position in stride(from: 0, to: bytes.count, by: 3) where bytes[position] != UInt8(ascii: ".") {
            let original = bytes[position]
            bytes[position] = original == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            let code = failure { () throws(TokenError) in try verify(String(decoding: bytes, as: UTF8.self)) }
            #expect(code != nil, "tampered at \(position) still verified")
            bytes[position] = original
        }
    }

    @Test("A token signed with another key's secret, or for an unknown key, is refused")
    func wrongKey() throws {
        let (_, forged) = try TokenCodec.issue(
            accessKeyID: "AK1", secretKey: "secret-two", filters: ["#"], actions: .readWrite, lifetime: 600, now: now)
        #expect(failure { () throws(TokenError) in try verify(forged) } == .badSignature)
        let (_, unknown) = try TokenCodec.issue(
            accessKeyID: "AK9", secretKey: "x", filters: ["#"], actions: .read, lifetime: 600, now: now)
        #expect(failure { () throws(TokenError) in try verify(unknown) } == .unknownAccessKey)
    }

    @Test("Garbage is malformed, never a crash", arguments: ["", ".", "abc", "abc.def", "a.b.c", "!!!.???", "AAAA.AAAA"])
    func garbage(_ text: String) {
        #expect(failure { () throws(TokenError) in try verify(text) } != nil)
    }

    @Test("Issuing checks the filter count, the lifetime and the actions")
    func issueLimits() {
        func code(_ body: () throws(TokenError) -> Void) -> TokenError.Code? {
            do {
                try body()
                return nil
            } catch { return error.code }
        }
        #expect(code { () throws(TokenError) in _ = try issue(filters: []) } == .invalidRequest)
        #expect(code { () throws(TokenError) in _ = try issue(filters: Array(repeating: "a/#", count: 101)) } == .invalidRequest)
        #expect(code { () throws(TokenError) in _ = try issue(filters: Array(repeating: "a/#", count: 100)) } == nil)
        #expect(code { () throws(TokenError) in _ = try issue(lifetime: 59) } == .invalidRequest)
        #expect(code { () throws(TokenError) in _ = try issue(lifetime: 30 * 24 * 3600) } == nil)
        #expect(code { () throws(TokenError) in _ = try issue(lifetime: 30 * 24 * 3600 + 1) } == .invalidRequest)
        #expect(code { () throws(TokenError) in _ = try issue(actions: []) } == .invalidRequest)
    }

    @Test("A read-only token says so")
    func readOnly() throws {
        let (_, encoded) = try issue(actions: .read)
        #expect(try verify(encoded).actions == .read)
    }
}
