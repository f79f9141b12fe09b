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

@Suite("Credential formats")
struct CredentialTests {
    @Test(
        "User names name the mode, the key and the instance",
        arguments: [
            ("Signature|AK1|inst-1", ClientCredential.signature(accessKeyID: "AK1", instanceID: "inst-1")),
            ("DeviceCredential|DAK|inst", .deviceCredential(deviceAccessKeyID: "DAK", instanceID: "inst")),
            ("Token|AK1|inst", .token(accessKeyID: "AK1", instanceID: "inst")),
            ("alice", .plain(username: "alice")),
            ("weird|name", .plain(username: "weird|name")),
        ])
    func parse(_ username: String, _ expected: ClientCredential) {
        #expect(ClientCredential(username: username) == expected)
        #expect(ClientCredential(username: username)?.username == username)
    }

    @Test(
        "A known mode that is not well formed is refused, not taken as a plain name",
        arguments: ["Signature|AK", "Signature||inst", "Token|AK|", "Token|AK|inst|x", "DeviceCredential|"])
    func malformed(_ username: String) {
        #expect(ClientCredential(username: username) == nil)
    }

    @Test("Signature passwords: Base64(HMAC-SHA1(SecretKey, ClientId))")
    func signature() {
        // RFC 2202 test case 2: HMAC-SHA1("Jefe", "what do ya want for nothing?")
        //   = effcdf6ae5eb2fa2d27416d5f184df9c259a7c79
        let password = Signature.password(secretKey: "Jefe", clientID: "what do ya want for nothing?")
        #expect(password == "7/zfauXrL6LSdBbV8YTfnCWafHk=")
        #expect(Signature.isValid(password: Array(password.utf8), secretKey: "Jefe", clientID: "what do ya want for nothing?"))
        #expect(!Signature.isValid(password: Array(password.utf8), secretKey: "Jefe", clientID: "another client"))
        #expect(!Signature.isValid(password: Array(password.utf8), secretKey: "jefe", clientID: "what do ya want for nothing?"))
        #expect(!Signature.isValid(password: Array(password.utf8.dropLast()), secretKey: "Jefe", clientID: "what do ya want for nothing?"))
    }

    @Test("Device secrets: Base64url(HMAC-SHA256(key secret, \"DeviceCredential\\n\" + ClientId)), per client ID")
    func deviceSecrets() {
        // Computed with Python's hmac and base64 (docs/authentication.md "Device credentials").
        let secret = DeviceSecret.derive(accessKeySecret: "device-secret", clientID: "GID@@@phone")
        #expect(secret == "H6ByLLEh8DS1EM9iGuaAf-gUtoBLfI9lNOj6mDZP_tI")
        #expect(Signature.password(secretKey: secret, clientID: "GID@@@phone") == "KE8ZbzdInZG+zRzLaTXnaYKWlvg=")
        #expect(DeviceSecret.derive(accessKeySecret: "device-secret", clientID: "GID@@@phone2") != secret)
        #expect(DeviceSecret.derive(accessKeySecret: "other-secret", clientID: "GID@@@phone") != secret)
    }

    @Test("Client IDs in the GroupId@@@DeviceId convention")
    func groupedClientID() {
        let grouped = GroupedClientID("GID_chat@@@phone-42")
        #expect(grouped?.groupID == "GID_chat")
        #expect(grouped?.deviceID == "phone-42")
        #expect(GroupedClientID("plain-client") == nil)
        #expect(GroupedClientID("@@@device") == nil)
        #expect(GroupedClientID("group@@@") == nil)
    }

    @Test("Token passwords: RW|token, R|token|W|token, or R|token / W|token alone")
    func tokenPasswords() {
        #expect(TokenPassword("RW|abc")?.tokens.map(\.token) == ["abc"])
        #expect(TokenPassword("RW|abc")?.tokens.first?.actions == .readWrite)
        let split = TokenPassword("R|t1|W|t2")
        #expect(split?.tokens.map(\.token) == ["t1", "t2"])
        #expect(split?.tokens.map(\.actions) == [.read, .write])
        #expect(split?.text == "R|t1|W|t2")
        // One action alone: a read-only or write-only token is usable (swiftlet token --actions R).
        #expect(TokenPassword("R|t1")?.tokens.map(\.actions) == [.read])
        #expect(TokenPassword("W|t2")?.tokens.map(\.actions) == [.write])
        #expect(TokenPassword("R|t1")?.text == "R|t1")
        for bad in ["", "RW", "RW|", "R|", "W|t2|R|t1", "R|t1|W|", "X|t", "R|t1|R|t2", "RW|t|W|t"] { #expect(TokenPassword(bad) == nil, "\(bad)") }
    }

    @Test("Token uploads: JSON with a type, or a token password")
    func tokenUploads() {
        func parse(_ text: String) -> [String]? {
            TokenUpload.parse(Array(text.utf8)).map { $0.tokens.map { "\($0.actions.description)|\($0.token)" } }
        }
        #expect(parse(#"{"token":"abc","type":"RW"}"#) == ["RW|abc"])
        #expect(parse(" \n{\"type\": \"R\", \"token\": \"abc\"}") == ["R|abc"])
        #expect(parse("R|t1|W|t2") == ["R|t1", "W|t2"])
        #expect(parse("W|t") == ["W|t"])
        for bad in [
            "", "{}", #"{"token":"abc"}"#, #"{"token":"abc","type":"X"}"#, #"{"token":"","type":"R"}"#,
            #"{"token":"a|b","type":"R"}"#, #"{"token":1,"type":"R"}"#, "[1]", "{", "abc",
        ] {
            #expect(parse(bad) == nil, "\(bad)")
        }
        #expect(TokenUpload.parse(Array(repeating: UInt8(ascii: "a"), count: TokenUpload.maxPayloadLength + 1)) == nil)
    }
}
