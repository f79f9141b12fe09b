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
import SwiftletFuzzSupport
import SwiftletServer
import SwiftletServerFuzz
import Testing

/// The committed inputs of the `http-request-head` and `configuration` fuzz targets (issue 14),
/// replayed without the fuzzer: their seeds, and every input that ever failed them, so that a crash
/// found once stays fixed.
@Suite("Fuzz inputs: http-request-head, configuration")
struct FuzzInputTests {
    @Test("every committed input of http-request-head keeps the HTTP properties")
    func replayHTTP() {
        Self.replay("http-request-head", HTTPRequestHeadFuzzCase.check)
    }

    @Test("every committed input of configuration keeps the configuration properties")
    func replayConfiguration() {
        Self.replay("configuration", ConfigurationFuzzCase.check)
    }

    private static func replay(_ target: String, _ check: ([UInt8]) throws(FuzzFailure) -> Void, filePath: String = #filePath) {
        let replay = FuzzCorpus.replay(target, check, filePath: filePath)
        #expect(replay.inputs > 0, "no seeds in FuzzTesting/Corpus/\(target)")
        #expect(replay.failures.isEmpty, "\(replay.failures.joined(separator: "\n"))")
    }

    // MARK: - Seeds

    /// `SWIFTLET_WRITE_FUZZ_CORPUS=1 swift test --filter FuzzInputTests` rewrites the seeds.
    @Test("the seeds are requests and settings the tests and docs use", .enabled(if: FuzzCorpus.isWritingSeeds))
    func writeSeeds() throws {
        let http = Self.requests.map { ("\($0.method) \($0.uri)", HTTPRequestHeadFuzzCase.input(method: $0.method, uri: $0.uri, fields: $0.fields)) }
        try FuzzCorpus.writeSeeds(http, of: "http-request-head")

        var configuration = Self.files.map { ("yaml \($0.name)", ConfigurationFuzzCase.input(.yaml, $0.text)) }
        configuration += Self.settings.map { ("setting \($0.key)", ConfigurationFuzzCase.input(.setting, "\($0.key)\n\($0.value)")) }
        configuration += ["0.0.0.0:1883", "[::1]:8883", ":0", "localhost:65535"].map {
            ("listen \($0)", ConfigurationFuzzCase.input(.listenAddress, $0))
        }
        try FuzzCorpus.writeSeeds(configuration, of: "configuration")

        // Every key the settings table knows, and the words inside the list settings' values.
        try FuzzCorpus.writeDictionary(
            ServerConfiguration.settings.map(\.key).filter { $0 != "password-file" } + [
                "rooms", "access-keys", "match", "batch_ms", "rate_limit", "overflow", "client_rate_limit",
                "drop_oldest", "drop_newest", "sample", "permission", "action", "filter", "who", "allow", "deny",
                "publish", "subscribe", "all", "anonymous", "device", "cloud", "id", "secret", "role", "off", "true",
                "false", "/s", "%c", "%u", "%g", "signature", "password", "device-credential", "token", "certificate",
            ],
            of: "configuration"
        )
        try FuzzCorpus.writeDictionary(
            [
                "Host", "If-None-Match", "W/", "Authorization", "Bearer ", "X-Swiftlet-AccessKey", "X-Swiftlet-Timestamp",
                "X-Swiftlet-Signature", "Content-Type", "application/json", "Upgrade", "websocket", "Connection",
                "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions",
                "permessage-deflate", "client_max_window_bits", "server_max_window_bits", "client_no_context_takeover",
                "server_no_context_takeover", "/mqtt", "/api/v1/", "clients", "tokens", "revoke", "%2e", "%2f", "%5c",
                "%00", "..", "//", "http://", "https://", "sub", "link-out", "dir-out", "index.html",
            ] + AdminRouter.routes.map(\.pattern),
            of: "http-request-head"
        )
    }

    private static let upgrade: [(String, String)] = [
        ("Host", "127.0.0.1:8080"), ("Upgrade", "websocket"), ("Connection", "keep-alive, Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Protocol", "mqttv3.1, mqtt"),
        ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits, permessage-deflate; server_max_window_bits=10; server_no_context_takeover"),
    ]

    private static let requests: [(method: String, uri: String, fields: [(String, String)])] = [
        ("GET", "/", [("Host", "localhost")]),
        ("GET", "/index.html", [("Host", "localhost"), ("If-None-Match", #"W/"abc", "1234-6553f100-5""#)]),
        ("HEAD", "/sub", [("Host", "a"), ("Host", "b")]),
        ("GET", "/sub/b.txt?x=1&y=%20#frag", []),
        ("GET", "/link-out", [("Host", "localhost")]),
        ("GET", "/dir-out/secret.txt", [("Host", "localhost")]),
        ("GET", "/link-in", [("Host", "localhost")]),
        ("GET", "/%2e%2e/outside/secret.txt", []),
        ("GET", "/a%2Fb/%5c/%00/%C3%A9t%C3%A9", []),
        ("GET", "http://example.com/a.txt", [("Host", "example.com")]),
        ("GET", "/empty/", []),
        ("GET", "/fifo", []),
        ("GET", "/.hidden", []),
        ("GET", "/mqtt", Self.upgrade),
        ("GET", "/healthz", []),
        ("GET", "/metrics", []),
        ("DELETE", "/api/v1/clients/alice%40example", [("Authorization", "Bearer fuzz-admin-token-0123456789")]),
        ("GET", "/api/v1/clients?limit=10&cursor=a%2Bb+c&limit=2", [("Authorization", "bearer  wrong ")]),
        (
            "POST", "/api/v1/publish",
            [
                ("X-Swiftlet-AccessKey", "cloud-key"), ("X-Swiftlet-Timestamp", "1800000000000"),
                ("X-Swiftlet-Signature", "c2lnbmF0dXJl"), ("Content-Type", "application/json; charset=utf-8"),
            ]
        ),
        ("PUT", "/api/v1/tokens/revoke", []),
    ]

    private static let files: [(name: String, text: String)] = [
        (
            "every setting",
            """
            # Swiftlet, every setting
            mqtt: 127.0.0.1:1884
            http: off
            admin: "[::1]:18083"
            log-level: warning
            threads: 2
            allow-anonymous: no
            max-packet-size: 1_048_576
            max-inflight: 8
            connect-timeout: 5
            memory-trim-interval: 1m
            token-expire-notice: 300s
            mqtt-auth: signature,password
            https-auth: token

            """
        ),
        (
            "rooms",
            """
            rooms:
              - match: "live/#"          # required: a topic filter
                batch_ms: 30
                rate_limit: 500/s
                overflow: drop_oldest
                client_rate_limit: 2/s
              - match: "chat/+"
                batch_ms: 5

            """
        ),
        (
            "access keys and acl",
            """
            allow-anonymous: false
            instance-id: inst-1
            access-keys:
              - id: AK_DEVICES
                secret: "s3cret"
                role: device
              - {id: AK_BACKEND, secret: 'x', role: cloud}
            acl-default: deny
            acl:
              - {permission: allow, action: all, filter: "chat/%g/#", who: device}
              - {permission: deny, action: publish, filter: "#", who: anonymous}

            """
        ),
        ("anchors and flow", "threads: &t 2\nmax-inflight: *t\n? max-topic-length\n: !!str 512\nws-path: >-\n  /mqtt\n"),
        ("not a mapping", "- mqtt\n- [1, {a: b}]\n"),
    ]

    private static let settings: [(key: String, value: String)] = [
        ("mqtt", "0.0.0.0:1883"), ("http", "off"), ("ws-path", "/mqtt"), ("ws-deflate", "yes"),
        ("tls-verify-clients", "optional"), ("log-level", "DEBUG"), ("threads", "-1"),
        ("memory-trim-interval", "1h"), ("max-packet-size", "1_048_576"), ("max-session-expiry", "4294967295"),
        ("write-stall-timeout", "0"), ("room", "live/# batch_ms=30 rate_limit=500/s overflow=sample client_rate_limit=2/s"),
        ("access-key", "AK:SECRET:cloud"), ("acl", "allow all chat/%g/# device"), ("acl-default", "deny"),
        ("instance-id", "inst|1"), ("token-expire-notice", "5m"), ("admin-token", "0123456789abcdef"),
        ("slow-consumer-policy", "disconnect"), ("mqtts-auth", "certificate,token"), ("allow-anonymous", "off"),
    ]
}
