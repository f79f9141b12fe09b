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
import Foundation
import SwiftletAuth
import SwiftletAuthFuzz
import SwiftletFuzzSupport
import Testing

/// The committed inputs of the `auth-parsers` fuzz target (issue 14), replayed without the fuzzer:
/// its seeds, and every input that ever failed it, so that a crash found once stays fixed.
@Suite("Fuzz inputs: auth-parsers")
struct FuzzInputTests {
    @Test("every committed input of auth-parsers keeps the parsers' properties")
    func replay() {
        let replay = FuzzCorpus.replay("auth-parsers", AuthParsersFuzzCase.check)
        #expect(replay.inputs > 0, "no seeds in FuzzTesting/Corpus/auth-parsers")
        #expect(replay.failures.isEmpty, "\(replay.failures.joined(separator: "\n"))")
    }

    // MARK: - Seeds

    /// `SWIFTLET_WRITE_FUZZ_CORPUS=1 swift test --filter FuzzInputTests` rewrites the seeds.
    @Test("the seeds are the forms the parsers read", .enabled(if: FuzzCorpus.isWritingSeeds))
    func writeSeeds() throws {
        typealias Parser = AuthParsersFuzzCase.Parser
        let (_, token) = try TokenCodec.issue(
            accessKeyID: "fuzz-key", secretKey: "fuzz-secret", filters: ["chat/room1", "chat/p2p/+", "live/#"],
            actions: .readWrite, lifetime: 3600, now: 1_800_000_000, id: "0123456789abcdef0123456789abcdef")
        let payload = Data(base64Encoded: Self.paddedBase64(token.split(separator: ".")[0])).map(Array.init) ?? []
        let seeds: [(Parser, String, [UInt8])] = [
            (.userName, "signature", Array("Signature|LTAI5tAccessKey|mqtt-cn-instance".utf8)),
            (.userName, "device credential", Array("DeviceCredential|dk-1|mqtt-cn-instance".utf8)),
            (.userName, "token", Array("Token|fuzz-key|mqtt-cn-instance".utf8)),
            (.userName, "plain", Array("alice".utf8)),
            (.userName, "grouped client ID", Array("GID_chat@@@phone-42".utf8)),
            (.userName, "empty part", Array("Signature||x".utf8)),
            (.tokenPassword, "read-write", Array("RW|\(token)".utf8)),
            (.tokenPassword, "read and write", Array("R|\(token)|W|\(token)".utf8)),
            (.tokenPassword, "write", Array("W|abc".utf8)),
            (.tokenUpload, "JSON", Array(#"{"token": "\#(token)", "type": "RW"}"#.utf8)),
            (.tokenUpload, "JSON, escapes", Array(#"  {"type":"R","token":"a\u0062c\/d","extra":[1,2.5e3,null,true]}"#.utf8)),
            (.tokenUpload, "password form", Array("R|a|W|b".utf8)),
            (.tokenString, "issued", Array(token.utf8)),
            (.tokenString, "two dots", Array("AQ.x.y".utf8)),
            (.signedTokenPayload, "issued payload", payload),
            (.signedTokenPayload, "one filter", [1, 1, 0, 0, 0, 0, 0x6B, 0x49, 0xD2, 0x00, 0x00, 0x00, 0x01, 0x6B, 0x01, 0x00, 0x01, 0x23]),
            (.passwordFile, "mosquitto_passwd", Array(Self.passwordFile.utf8)),
            (.passwordFile, "comments and CRLF", Array("# users\r\n\r\nalice:$6$c2FsdA==$\(String(repeating: "A", count: 86))==\r\n".utf8)),
            (.passwordHash, "pbkdf2", Array("$7$101$P7odp1cPNKmQ7r/r$tzOx1dI9sLLfcPwyZYiMXhNO+sRGUBT57yeolJ/h1WXBZ+bRN2hOjuXmYdnFofuzMI5x/0iFse1/r/9gfueHUg==".utf8)),
            (.passwordHash, "sha512", Array("$6$VrQz0Hzh/vJmw2Ym$B8zxGYL/3AC8/ZKRWiKIkM/M2Fkan23+Dp2L1brmSmIep8r83naJhW/f+AQIs8NOD3Dm3dJ0DNwcVV7MfOY08w==".utf8)),
        ]
        try FuzzCorpus.writeSeeds(
            seeds.map { ("\($0.0) \($0.1)", AuthParsersFuzzCase.input($0.0, $0.2)) },
            of: "auth-parsers"
        )
        try FuzzCorpus.writeDictionary(
            [
                "Signature|", "DeviceCredential|", "Token|", "@@@", "RW|", "R|", "W|", "|W|", "$7$", "$6$", "$7$101$",
                "\"token\"", "\"type\"", "\"RW\"", ":", "\r\n", "fuzz-key",
            ],
            of: "auth-parsers"
        )
    }

    /// Written by mosquitto_passwd 2.0.11 (PasswordFileTests).
    private static let passwordFile = """
        alice:$7$101$P7odp1cPNKmQ7r/r$tzOx1dI9sLLfcPwyZYiMXhNO+sRGUBT57yeolJ/h1WXBZ+bRN2hOjuXmYdnFofuzMI5x/0iFse1/r/9gfueHUg==
        bob:$6$VrQz0Hzh/vJmw2Ym$B8zxGYL/3AC8/ZKRWiKIkM/M2Fkan23+Dp2L1brmSmIep8r83naJhW/f+AQIs8NOD3Dm3dJ0DNwcVV7MfOY08w==

        """

    private static func paddedBase64(_ text: Substring) -> String {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.utf8.count % 4 != 0 { standard += "=" }
        return standard
    }
}
