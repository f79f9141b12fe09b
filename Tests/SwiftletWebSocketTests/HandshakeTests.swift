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

import SwiftletWebSocket
import Testing

@Suite("Opening handshake")
struct HandshakeTests {
    /// RFC 6455 §1.3's example request, as a browser sends it for MQTT.
    static let goodHeaders: [(String, String)] = [
        ("Host", "server.example.com"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Origin", "http://example.com"),
        ("Sec-WebSocket-Protocol", "mqtt"),
        ("Sec-WebSocket-Version", "13"),
    ]

    static func evaluate(
        method: String = "GET",
        version: (major: Int, minor: Int) = (1, 1),
        uri: String = "/mqtt",
        headers: [(String, String)] = goodHeaders,
        configuration: WebSocketHandshake.Configuration = .init()
    ) -> WebSocketHandshake.Outcome {
        WebSocketHandshake.evaluate(
            method: method,
            version: version,
            uri: uri,
            headers: headers,
            configuration: configuration
        )
    }

    /// The good headers with the field `name` replaced by `values` (none if empty).
    static func headers(replacing name: String, with values: [String]) -> [(String, String)] {
        var headers = goodHeaders.filter { $0.0.lowercased() != name.lowercased() }
        headers += values.map { (name, $0) }
        return headers
    }

    static func accepted(_ outcome: WebSocketHandshake.Outcome) -> WebSocketHandshake.Accepted? {
        guard case .accept(let accepted) = outcome else { return nil }
        return accepted
    }

    static func rejection(_ outcome: WebSocketHandshake.Outcome) -> (status: Int, headers: [(String, String)])? {
        guard case .reject(let status, let headers, _) = outcome else { return nil }
        return (status, headers)
    }

    static func names(_ headers: [(String, String)]) -> [String] {
        headers.map { "\($0.0): \($0.1)" }
    }

    // MARK: - Accepting

    @Test("RFC 6455 §1.3: the example key gives the example accept value")
    func exampleKey() throws {
        #expect(WebSocketHandshake.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        let accepted = try #require(Self.accepted(Self.evaluate()))
        #expect(accepted.acceptValue == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(
            Self.names(accepted.headers) == [
                "Upgrade: websocket",
                "Connection: Upgrade",
                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
                "Sec-WebSocket-Protocol: mqtt",
            ]
        )
        #expect(accepted.subprotocol == "mqtt")
        #expect(accepted.extensionOffers.isEmpty)
    }

    @Test("more accept values, computed by an independent implementation (Python hashlib)")
    func moreKeys() {
        #expect(WebSocketHandshake.acceptValue(forKey: "AQIDBAUGBwgJCgsMDQ4PEA==") == "C/0nmHhBztSRGR1CwL6Tf4ZjwpY=")
        #expect(WebSocketHandshake.acceptValue(forKey: "x3JJHMbDL1EzLkh9GBhXDw==") == "HSmrc0sMlYUkAGmm5OPpG2HaGWk=")
    }

    @Test("header names and token values are case-insensitive; whitespace is trimmed")
    func caseInsensitive() throws {
        let headers: [(String, String)] = [
            ("HOST", "localhost:8080"),
            ("upgrade", "WebSocket"),
            ("CONNECTION", "  keep-alive, UPGRADE  "),
            ("sec-websocket-key", " dGhlIHNhbXBsZSBub25jZQ== "),
            ("SEC-WEBSOCKET-VERSION", "13"),
        ]
        let accepted = try #require(Self.accepted(Self.evaluate(headers: headers)))
        #expect(accepted.acceptValue == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(accepted.subprotocol == nil)
        #expect(!accepted.headers.contains { $0.0 == "Sec-WebSocket-Protocol" })
    }

    @Test(
        "RFC 6455 §4.2.1 item 4: Connection may list other tokens",
        arguments: ["keep-alive, Upgrade", "Upgrade, keep-alive", "keep-alive,upgrade", "close , Upgrade"]
    )
    func connectionTokens(_ value: String) {
        #expect(Self.accepted(Self.evaluate(headers: Self.headers(replacing: "Connection", with: [value]))) != nil)
    }

    @Test("Connection split over two field lines")
    func connectionTwoLines() {
        let headers = Self.headers(replacing: "Connection", with: ["keep-alive", "Upgrade"])
        #expect(Self.accepted(Self.evaluate(headers: headers)) != nil)
    }

    @Test("Upgrade may list other protocols")
    func upgradeList() {
        let headers = Self.headers(replacing: "Upgrade", with: ["h2c, websocket"])
        #expect(Self.accepted(Self.evaluate(headers: headers)) != nil)
    }

    @Test("a query string does not change the path; HTTP/2.0 and 1.2 are at least 1.1")
    func queryAndVersion() {
        #expect(Self.accepted(Self.evaluate(uri: "/mqtt?token=abc")) != nil)
        #expect(Self.accepted(Self.evaluate(version: (1, 2))) != nil)
        #expect(Self.accepted(Self.evaluate(version: (2, 0))) != nil)
    }

    @Test("the configured path")
    func configuredPath() {
        let configuration = WebSocketHandshake.Configuration(path: "/ws")
        #expect(Self.accepted(Self.evaluate(uri: "/ws", configuration: configuration)) != nil)
        #expect(Self.rejection(Self.evaluate(uri: "/mqtt", configuration: configuration))?.status == 404)
    }

    // MARK: - Subprotocols, RFC 6455 §4.2.2 step 5.4

    @Test(
        "the server's preference decides among the offers",
        arguments: [
            (["mqtt"], "mqtt"),
            (["mqttv3.1"], "mqttv3.1"),
            (["mqttv3.1, mqtt"], "mqtt"),
            (["mqttv3.1", "mqtt"], "mqtt"),
            (["chat, mqttv3.1"], "mqttv3.1"),
            (["chat", "superchat"], nil),
            (["MQTT"], nil),
            ([], nil),
        ] as [([String], String?)]
    )
    func subprotocol(offers: [String], chosen: String?) throws {
        let headers = Self.headers(replacing: "Sec-WebSocket-Protocol", with: offers)
        let accepted = try #require(Self.accepted(Self.evaluate(headers: headers)))
        #expect(accepted.subprotocol == chosen)
        #expect(accepted.headers.first { $0.0 == "Sec-WebSocket-Protocol" }?.1 == chosen)
    }

    @Test("a configuration that prefers mqttv3.1")
    func configuredPreference() throws {
        let configuration = WebSocketHandshake.Configuration(subprotocols: ["mqttv3.1", "mqtt"])
        let headers = Self.headers(replacing: "Sec-WebSocket-Protocol", with: ["mqtt, mqttv3.1"])
        let accepted = try #require(Self.accepted(Self.evaluate(headers: headers, configuration: configuration)))
        #expect(accepted.subprotocol == "mqttv3.1")
    }

    // MARK: - Extensions

    @Test("extension offers are handed over raw, one per field line")
    func extensionOffers() throws {
        let headers =
            Self.goodHeaders + [
                ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
                ("sec-websocket-extensions", " x-webkit-deflate-frame "),
            ]
        let accepted = try #require(Self.accepted(Self.evaluate(headers: headers)))
        #expect(accepted.extensionOffers == ["permessage-deflate; client_max_window_bits", "x-webkit-deflate-frame"])
        #expect(!accepted.headers.contains { $0.0.lowercased() == "sec-websocket-extensions" })
    }

    // MARK: - Rejecting

    @Test(
        "every rejection has its status",
        arguments: [
            ("POST", 405),
            ("HEAD", 405),
            ("get", 405),
        ] as [(String, Int)]
    )
    func method(_ method: String, status: Int) throws {
        let rejection = try #require(Self.rejection(Self.evaluate(method: method)))
        #expect(rejection.status == status)
        // RFC 9110 §15.5.6: a 405 carries Allow.
        #expect(Self.names(rejection.headers) == ["Allow: GET"])
    }

    @Test("RFC 6455 §4.2.1 item 1: HTTP/1.0 and older are 400", arguments: [(1, 0), (0, 9)] as [(Int, Int)])
    func oldVersion(major: Int, minor: Int) {
        #expect(Self.rejection(Self.evaluate(version: (major, minor)))?.status == 400)
    }

    @Test("another path is 404", arguments: ["/", "/mqtt/", "/MQTT", "/mqttx", "mqtt", ""])
    func otherPath(_ uri: String) {
        #expect(Self.rejection(Self.evaluate(uri: uri))?.status == 404)
    }

    @Test(
        "a missing or invalid field is 400",
        arguments: [
            // RFC 6455 §4.2.1 item 2, RFC 9112 §3.2: exactly one Host.
            ("Host", []),
            ("Host", ["a.example", "b.example"]),
            // RFC 6455 §4.2.1 item 3: Upgrade: websocket.
            ("Upgrade", []),
            ("Upgrade", ["h2c"]),
            ("Upgrade", ["websocket2"]),
            ("Upgrade", [""]),
            // RFC 6455 §4.2.1 item 4: Connection: Upgrade.
            ("Connection", []),
            ("Connection", ["keep-alive"]),
            ("Connection", ["upgraded"]),
            ("Connection", ["keep-alive upgrade"]),
            // RFC 6455 §4.2.1 item 5: one key, base64 of 16 bytes.
            ("Sec-WebSocket-Key", []),
            ("Sec-WebSocket-Key", ["dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ=="]),
            ("Sec-WebSocket-Key", [""]),
            ("Sec-WebSocket-Key", ["dGhlIHNhbXBsZSBub25jZQ"]),  // unpadded
            ("Sec-WebSocket-Key", ["dGhlIHNhbXBsZSBub25jZQ=!"]),  // not base64
            ("Sec-WebSocket-Key", ["dGhlIHNhbXBsZSBub25j"]),  // 15 bytes
            ("Sec-WebSocket-Key", ["dGhlIHNhbXBsZSBub25jZXM="]),  // 17 bytes
            ("Sec-WebSocket-Key", ["dGhlIHNhbXBsZSBub25jZR=="]),  // non-zero padding bits
            ("Sec-WebSocket-Key", ["dGhlIHNhbXBs ZSBub25jZQ=="]),  // space inside
            ("Sec-WebSocket-Key", ["dGhlIHNhbXBsZSBub25jZQ-_"]),  // URL-safe alphabet
        ] as [(String, [String])]
    )
    func badField(name: String, values: [String]) throws {
        let outcome = Self.evaluate(headers: Self.headers(replacing: name, with: values))
        let rejection = try #require(Self.rejection(outcome), "\(name): \(values)")
        #expect(rejection.status == 400, "\(name): \(values)")
    }

    @Test(
        "RFC 6455 §4.4: a version other than 13 is 426 with Sec-WebSocket-Version: 13",
        arguments: [[], ["8"], ["12"], ["14"], ["13, 8"], ["13", "8"], ["thirteen"]] as [[String]]
    )
    func badVersion(_ values: [String]) throws {
        let outcome = Self.evaluate(headers: Self.headers(replacing: "Sec-WebSocket-Version", with: values))
        let rejection = try #require(Self.rejection(outcome))
        #expect(rejection.status == 426)
        #expect(rejection.headers.contains { $0.0 == "Sec-WebSocket-Version" && $0.1 == "13" })
        #expect(rejection.headers.contains { $0.0 == "Upgrade" && $0.1 == "websocket" })
    }

    @Test("HTTP/1.0 without Host is rejected for its version first")
    func checkOrder() {
        let headers = Self.headers(replacing: "Host", with: [])
        #expect(Self.rejection(Self.evaluate(version: (1, 0), headers: headers))?.status == 400)
        #expect(Self.rejection(Self.evaluate(method: "POST", version: (1, 0), headers: headers))?.status == 405)
    }
}
