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
import Testing

@testable import SwiftletServer

@Suite("Admin API authentication")
struct AdminAuthenticatorTests {
    static let now: UInt64 = 1_790_000_000_000
    static let keys = [
        AccessKey(id: "backend", secret: "cloud-secret", role: .cloud),
        AccessKey(id: "phone", secret: "device-secret", role: .device),
    ]
    let authenticator = AdminAuthenticator(adminToken: "0123456789abcdef-token", accessKeys: Self.keys)

    private func check(
        _ authenticator: AdminAuthenticator? = nil, method: String = "GET", target: String = "/api/v1/stats",
        body: [UInt8] = [], headers: [String: String]
    ) -> AdminAuthenticator.Outcome {
        (authenticator ?? self.authenticator).authenticate(
            method: method, target: target, body: body, nowMilliseconds: Self.now,
            header: { name in headers.first { $0.key.lowercased() == name.lowercased() }?.value })
    }

    private func signed(
        key: String, secret: String, method: String = "GET", target: String = "/api/v1/stats", body: [UInt8] = [],
        timestamp: UInt64 = now
    ) -> [String: String] {
        [
            "X-Swiftlet-AccessKey": key,
            "X-Swiftlet-Timestamp": String(timestamp),
            "X-Swiftlet-Signature": RequestSignature.signature(
                secret: secret, method: method, target: target, timestamp: String(timestamp), body: body),
        ]
    }

    @Test("the bearer token is accepted, any other refused")
    func bearer() {
        #expect(check(headers: ["Authorization": "Bearer 0123456789abcdef-token"]) == .accepted(principal: "admin-token"))
        #expect(check(headers: ["Authorization": "bearer 0123456789abcdef-token"]) == .accepted(principal: "admin-token"))
        #expect(check(headers: ["Authorization": "Bearer 0123456789abcdef-tokeN"]) == .unauthorized("bad credentials"))
        #expect(check(headers: ["Authorization": "Bearer "]) == .unauthorized("bad credentials"))
        #expect(check(headers: ["Authorization": "Basic YWRtaW4="]) == .unauthorized("bad credentials"))
        let noToken = AdminAuthenticator(adminToken: nil, accessKeys: Self.keys)
        #expect(check(noToken, headers: ["Authorization": "Bearer 0123456789abcdef-token"]) == .unauthorized("bad credentials"))
    }

    @Test("the canonical request is METHOD, target, timestamp and the body's SHA-256 in hex")
    func canonical() {
        let text = RequestSignature.canonicalRequest(
            method: "POST", target: "/api/v1/publish?x=1", timestamp: "42", body: Array("{}".utf8))
        #expect(text == "POST\n/api/v1/publish?x=1\n42\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
    }

    @Test("a signed request by a cloud key is accepted")
    func signedCloud() {
        let body = Array(#"{"topic":"a"}"#.utf8)
        let headers = signed(
            key: "backend", secret: "cloud-secret", method: "POST", target: "/api/v1/publish", body: body)
        #expect(check(method: "POST", target: "/api/v1/publish", body: body, headers: headers) == .accepted(principal: "key:backend"))
        // Within the allowed skew on either side.
        for skew in [-299_000, 299_000] {
            let timestamp = UInt64(Int64(Self.now) + Int64(skew))
            #expect(check(headers: signed(key: "backend", secret: "cloud-secret", timestamp: timestamp)) == .accepted(principal: "key:backend"))
        }
    }

    @Test("a signature over another body, target, method or secret is refused")
    func tampered() {
        let body = Array(#"{"topic":"a"}"#.utf8)
        let headers = signed(key: "backend", secret: "cloud-secret", method: "POST", target: "/api/v1/publish", body: body)
        #expect(check(method: "POST", target: "/api/v1/publish", body: Array(#"{"topic":"b"}"#.utf8), headers: headers) == .unauthorized("bad signature"))
        #expect(check(method: "POST", target: "/api/v1/p2p", body: body, headers: headers) == .unauthorized("bad signature"))
        #expect(check(method: "PUT", target: "/api/v1/publish", body: body, headers: headers) == .unauthorized("bad signature"))
        #expect(check(headers: signed(key: "backend", secret: "wrong")) == .unauthorized("bad signature"))
    }

    @Test("stale, missing or malformed signing headers are 401; unknown keys too")
    func refusals() {
        for timestamp in [Self.now - 301_000, Self.now + 301_000] {
            guard case .unauthorized(let message) = check(headers: signed(key: "backend", secret: "cloud-secret", timestamp: timestamp)) else {
                Issue.record("stale timestamp accepted")
                continue
            }
            #expect(message.contains("stale"))
        }
        var headers = signed(key: "backend", secret: "cloud-secret")
        headers["X-Swiftlet-Timestamp"] = "yesterday"
        #expect(check(headers: headers) != .accepted(principal: "key:backend"))
        headers = signed(key: "backend", secret: "cloud-secret")
        headers["X-Swiftlet-Signature"] = "***"
        #expect(check(headers: headers) == .unauthorized("X-Swiftlet-Signature must be Base64"))
        #expect(check(headers: signed(key: "nobody", secret: "cloud-secret")) == .unauthorized("unknown access key"))
        #expect(check(headers: [:]) == .unauthorized("credentials required: a bearer token or a signed request"))
    }

    @Test("a valid signature by a device key is 403, an invalid one 401")
    func deviceKey() {
        guard case .forbidden = check(headers: signed(key: "phone", secret: "device-secret")) else {
            Issue.record("device key not forbidden")
            return
        }
        #expect(check(headers: signed(key: "phone", secret: "nope")) == .unauthorized("bad signature"))
    }

    @Test("without a token or a cloud key, everyone is refused")
    func noCredentials() {
        let closed = AdminAuthenticator(
            adminToken: nil, accessKeys: [AccessKey(id: "phone", secret: "device-secret", role: .device)])
        #expect(!closed.hasCredentials)
        guard case .unauthorized = check(closed, headers: signed(key: "phone", secret: "device-secret")) else {
            Issue.record("a closed API let a request through")
            return
        }
        #expect(AdminAuthenticator(adminToken: nil, accessKeys: Self.keys).hasCredentials)
    }
}
