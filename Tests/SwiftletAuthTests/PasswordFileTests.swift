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
import Testing

/// PBKDF2 and Mosquitto-compatible password files (DESIGN §6).
@Suite("Password files")
struct PasswordFileTests {
    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test("PBKDF2-HMAC-SHA512 matches published test vectors")
    func pbkdf2Vectors() {
        // The RFC 6070 inputs with HMAC-SHA-512 instead of SHA-1; expected values from OpenSSL's
        // PKCS5_PBKDF2_HMAC as Python's hashlib.pbkdf2_hmac("sha512", ...) exposes it.
        #expect(
            hex(PBKDF2.sha512(password: Array("password".utf8), salt: Array("salt".utf8), iterations: 1))
                == "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252"
                + "c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce")
        #expect(
            hex(PBKDF2.sha512(password: Array("password".utf8), salt: Array("salt".utf8), iterations: 2))
                == "e1d9c16aa681708a45f5c7c4e215ceb66e011a2e9f0040713f18aefdb866d53c"
                + "f76cab2868a39b9f7840edce4fef5a82be67335c77a6068e04112754f27ccf4e")
        // Two blocks (RFC 8018 §5.2 step 3, INT(2)), cut to 100 bytes.
        #expect(
            hex(
                PBKDF2.sha512(
                    password: Array("passwordPASSWORDpassword".utf8),
                    salt: Array("saltSALTsaltSALTsaltSALTsaltSALTsalt".utf8), iterations: 4096, keyLength: 100))
                == "8c0511f4c6e597c6ac6315d8f0362e225f3c501495ba23b868c005174dc4ee71115b59f9e60cd9532fa33e0f75aefe30225c583a186cd82bd4daea9724a3d3b804f75bdd41494fa324cab24bcc680fb3b96a30cf5d21fac3c2875913919f3399b1d9ce7e")
    }

    @Test("Hashes written by mosquitto_passwd 2.0.11 ($7$ default and -H sha512) verify")
    func mosquittoHashes() throws {
        let file = try PasswordFile(
            parsing: """
                # made with: mosquitto_passwd -c -b f alice secret; mosquitto_passwd -H sha512 -b f bob pw2
                alice:$7$101$P7odp1cPNKmQ7r/r$tzOx1dI9sLLfcPwyZYiMXhNO+sRGUBT57yeolJ/h1WXBZ+bRN2hOjuXmYdnFofuzMI5x/0iFse1/r/9gfueHUg==
                bob:$6$VrQz0Hzh/vJmw2Ym$B8zxGYL/3AC8/ZKRWiKIkM/M2Fkan23+Dp2L1brmSmIep8r83naJhW/f+AQIs8NOD3Dm3dJ0DNwcVV7MfOY08w==

                """)
        #expect(file.users == ["alice", "bob"])
        #expect(file.check(user: "alice", password: Array("secret".utf8)))
        #expect(file.check(user: "bob", password: Array("pw2".utf8)))
        #expect(!file.check(user: "alice", password: Array("Secret".utf8)))
        #expect(!file.check(user: "bob", password: Array("secret".utf8)))
        #expect(!file.check(user: "carol", password: Array("secret".utf8)))
        #expect(!file.check(user: "alice", password: []))
    }

    @Test("A made hash round-trips through its text and the file")
    func makeAndRoundTrip() throws {
        let hash = PasswordHash.make(password: "hunter2")
        #expect(hash.text.hasPrefix("$7$101$"))
        #expect(PasswordHash(hash.text) == hash)
        #expect(hash.matches(Array("hunter2".utf8)))
        #expect(!hash.matches(Array("hunter3".utf8)))
        // Random salts: the same password never hashes the same twice.
        #expect(PasswordHash.make(password: "hunter2") != hash)
        var file = PasswordFile()
        file["dave"] = hash
        file["erin"] = PasswordHash.make(password: "x", iterations: 5)
        let reread = try PasswordFile(parsing: file.text)
        #expect(reread == file)
        #expect(reread.check(user: "erin", password: Array("x".utf8)))
        file["dave"] = nil
        #expect(file.users == ["erin"])
    }

    @Test("CRLF line ends read like LF ones, blank and comment lines included")
    func crlfLineEnds() throws {
        let alice = "alice:$6$VrQz0Hzh/vJmw2Ym$B8zxGYL/3AC8/ZKRWiKIkM/M2Fkan23+Dp2L1brmSmIep8r83naJhW/f+AQIs8NOD3Dm3dJ0DNwcVV7MfOY08w=="
        let bob = "bob:\(PasswordHash.make(password: "pw", iterations: 3).text)"
        let lf = try PasswordFile(parsing: "# users\n\n\(alice)\n\(bob)\n")
        #expect(lf.users == ["alice", "bob"])
        #expect(try PasswordFile(parsing: "# users\r\n\r\n\(alice)\r\n\(bob)\r\n") == lf)
        #expect(try PasswordFile(parsing: "\(alice)\r\n\(bob)") == lf)
        // FuzzTesting/FailCases/auth-parsers: a blank CRLF line was a line without a colon.
        #expect(try PasswordFile(parsing: "\r\n").count == 0)
        #expect(throws: PasswordFileError.self) { try PasswordFile(parsing: "\(alice)\r\nnocolon\r\n") }
    }

    @Test("Bad lines are refused with their line number, never with the hash")
    func badLines() {
        let secretLooking = "$7$101$c2FsdA==$notbase64!"
        for (text, expected) in [
            ("alice:plaintext", "line 1: user 'alice' has no $6$ or $7$ hash"),
            ("\nnocolon", "line 2: expected user:hash"),
            (":$6$c2FsdA==$AAAA", "line 1: expected user:hash"),
            ("a:\(secretLooking)", "line 1: user 'a'"),
            ("a:$7$0$c2FsdA==$" + String(repeating: "A", count: 88), "line 1: user 'a'"),
            ("a:$7$9999999$c2FsdA==$" + String(repeating: "A", count: 86) + "==", "line 1: user 'a'"),
        ] {
            do {
                _ = try PasswordFile(parsing: text)
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.description.hasPrefix(expected), "\(error.description)")
                #expect(!error.description.contains("notbase64"))
            }
        }
        #expect(throws: PasswordFileError.self) {
            try PasswordFile(parsing: "a:\(PasswordHash.make(password: "1").text)\na:\(PasswordHash.make(password: "2").text)")
        }
    }
}
