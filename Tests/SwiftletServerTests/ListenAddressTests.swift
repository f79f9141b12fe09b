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

import SwiftletServer
import Testing

@Suite("ListenAddress")
struct ListenAddressTests {
    /// One accepted spelling and the address it means.
    struct ValidCase: Sendable, CustomTestStringConvertible {
        var text: String
        var host: String
        var port: Int
        /// How the address prints back (the form the listener logs).
        var printed: String

        var testDescription: String { "'\(self.text)'" }
    }

    static let validCases: [ValidCase] = [
        ValidCase(text: "127.0.0.1:1883", host: "127.0.0.1", port: 1883, printed: "127.0.0.1:1883"),
        ValidCase(text: "localhost:8080", host: "localhost", port: 8080, printed: "localhost:8080"),
        // An empty host means all interfaces.
        ValidCase(text: ":1883", host: "0.0.0.0", port: 1883, printed: "0.0.0.0:1883"),
        // IPv6 in brackets: the brackets are not part of the host and come back when printed.
        ValidCase(text: "[::1]:1883", host: "::1", port: 1883, printed: "[::1]:1883"),
        ValidCase(text: "[::]:8883", host: "::", port: 8883, printed: "[::]:8883"),
        // Port 0 asks the system for a free port.
        ValidCase(text: "127.0.0.1:0", host: "127.0.0.1", port: 0, printed: "127.0.0.1:0"),
        ValidCase(text: "0.0.0.0:65535", host: "0.0.0.0", port: 65535, printed: "0.0.0.0:65535"),
    ]

    @Test("parses", arguments: Self.validCases)
    func parses(_ valid: ValidCase) throws {
        let address = try #require(ListenAddress(parsing: valid.text))
        #expect(address.host == valid.host)
        #expect(address.port == valid.port)
        #expect(address.description == valid.printed)
        // What is printed parses back to the same address.
        #expect(ListenAddress(parsing: address.description) == address)
    }

    @Test(
        "rejects",
        arguments: [
            "127.0.0.1:-1",  // below the port range
            "127.0.0.1:65536",  // above the port range
            "127.0.0.1:99999999999999999999999",  // does not even fit an Int
            "127.0.0.1:mqtt",  // a service name, not a number
            "127.0.0.1:18 83",
            "127.0.0.1: 1883",
            "127.0.0.1:",  // no port
            "1883",  // no colon at all
            "localhost",
            "",
            "[::1]",  // IPv6 without a port: the last colon is inside the brackets
        ]
    )
    func rejects(_ text: String) {
        #expect(ListenAddress(parsing: text) == nil)
    }

    @Test("an unbracketed IPv6 address without a port is rejected")
    func rejectsUnbracketedIPv6WithoutPort() {
        // Without brackets the last group would read as the port.
        #expect(ListenAddress(parsing: "::1") == nil)
        #expect(ListenAddress(parsing: "::1:1883") == nil)
        #expect(ListenAddress(parsing: "127.0.0.1:+1883") == nil)
    }
}
