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

import Logging
import NIOCore
import SwiftletAuth
import SwiftletBroker
import SwiftletServer
import Testing

/// Malformed values for every integer setting.
private let notIntegers = ["", "ten", "1.5", "1e3", "0x10", "_", "12abc"]

/// One row of the settings table: a key, a valid value that differs from the default, and what
/// applying it must change (nothing else may change).
struct SettingCase: Sendable, CustomTestStringConvertible {
    var key: String
    var value: String
    /// The accepted range of an integer setting.
    var range: ClosedRange<Int>?
    /// Values that must be refused whatever the range.
    var malformed: [String]
    var effect: @Sendable (inout ServerConfiguration) -> Void

    init(
        _ key: String,
        _ value: String,
        range: ClosedRange<Int>? = nil,
        malformed: [String] = notIntegers,
        effect: @escaping @Sendable (inout ServerConfiguration) -> Void
    ) {
        self.key = key
        self.value = value
        self.range = range
        self.malformed = malformed
        self.effect = effect
    }

    var testDescription: String { "\(self.key): \(self.value)" }
}

/// Every key of `ServerConfiguration.settings`, a value for it and its expected effect.
let settingCases: [SettingCase] = [
    SettingCase("mqtt", "127.0.0.1:1884", malformed: ["", "127.0.0.1", "127.0.0.1:65536", "127.0.0.1:-1", "[::1]"]) {
        $0.mqtt = ListenAddress(host: "127.0.0.1", port: 1884)
    },
    SettingCase("log-level", "DEBUG", malformed: ["", "verbose", "warn", "5"]) { $0.logLevel = .debug },
    SettingCase("threads", "1_024", range: 1...1024) { $0.threads = 1024 },
    SettingCase("memory-trim-interval", "1m", range: 0...86_400, malformed: notIntegers + ["5x", "-1s", "1.5m"]) {
        $0.memoryTrimInterval = 60
    },
    SettingCase("http-header-timeout", "2m", range: 1...3600, malformed: notIntegers + ["5x", "-1s"]) {
        $0.httpHeaderTimeout = 120
    },
    SettingCase("allow-anonymous", "false", malformed: ["", "maybe", "2", "t"]) { $0.broker.allowAnonymous = false },
    SettingCase("max-packet-size", "65_536", range: 64...268_369_920) { $0.broker.maxPacketSize = 65536 },
    SettingCase("max-topic-length", "256", range: 1...65_535) { $0.broker.maxTopicLength = 256 },
    SettingCase("max-topic-levels", "8", range: 1...65_535) { $0.broker.maxTopicLevels = 8 },
    SettingCase("max-subscriptions-per-client", "500", range: 1...1_000_000) {
        $0.broker.maxSubscriptionsPerClient = 500
    },
    SettingCase("max-inflight", "10", range: 1...65_535) { $0.broker.maxInflight = 10 },
    SettingCase("max-queued-messages", "0", range: 0...10_000_000) { $0.broker.maxQueuedMessages = 0 },
    SettingCase("max-queued-bytes", "4096", range: 1024...(1 << 40)) { $0.broker.maxQueuedBytes = 4096 },
    SettingCase("max-queued-bytes-total", "2097152", range: (1 << 20)...(1 << 50)) {
        $0.broker.maxQueuedBytesTotal = 2_097_152
    },
    SettingCase("max-sessions", "10", range: 1...100_000_000) { $0.broker.maxSessions = 10 },
    SettingCase("max-outbound-bytes", "4096", range: 1024...(1 << 30)) { $0.broker.maxOutboundBytes = 4096 },
    SettingCase("write-stall-timeout", "0", range: 0...86_400) { $0.broker.writeStallTimeout = nil },
    SettingCase("max-retained-messages", "5", range: 0...100_000_000) { $0.broker.maxRetainedMessages = 5 },
    SettingCase("http", "127.0.0.1:8081", malformed: ["", "8081", "x:y"]) { $0.http = ListenAddress(host: "127.0.0.1", port: 8081) },
    SettingCase("mqtts", "off", malformed: ["", "8883"]) { $0.mqtts = nil },
    SettingCase("admin", "off", malformed: ["", "18083", "x:y"]) { $0.admin = nil },
    // Refusals of admin-token never echo the value: ConfigurationFileTests.adminTokenFlag.
    SettingCase("admin-token", "a-token-of-16-chars", malformed: []) {
        $0.adminToken = "a-token-of-16-chars"
    },
    SettingCase("https", "[::1]:8443", malformed: ["", "8443"]) { $0.https = ListenAddress(host: "::1", port: 8443) },
    SettingCase("ws-path", "/ws", malformed: ["", "ws", "/a b", "/x?y"]) { $0.wsPath = "/ws" },
    SettingCase("web-root", "/srv/www", malformed: [""]) { $0.webRoot = "/srv/www" },
    SettingCase("ws-deflate", "false", malformed: ["", "maybe"]) { $0.wsDeflate = false },
    SettingCase("ws-deflate-min-size", "64", range: 0...1 << 30) { $0.wsDeflateMinimumSize = 64 },
    SettingCase("tls-cert", "/etc/cert.pem", malformed: []) { $0.tlsCertificate = "/etc/cert.pem" },
    SettingCase("tls-key", "/etc/key.pem", malformed: []) { $0.tlsKey = "/etc/key.pem" },
    SettingCase("tls-ca", "/etc/ca.pem", malformed: []) { $0.tlsCA = "/etc/ca.pem" },
    SettingCase("tls-verify-clients", "require", malformed: ["", "always"]) { $0.tlsVerifyClients = .require },
    SettingCase("tls-cn-as-username", "true", malformed: ["", "maybe"]) { $0.tlsCommonNameAsUsername = true },
    SettingCase("queue-qos0-offline", "true", malformed: ["", "maybe", "2"]) { $0.broker.queueQoS0Offline = true },
    SettingCase("max-connections", "50", range: 1...10_000_000) { $0.broker.maxConnections = 50 },
    SettingCase("connect-timeout", "30", range: 1...3600) { $0.broker.connectTimeout = .seconds(30) },
    SettingCase("max-keepalive", "120", range: 0...65_535) { $0.broker.maxKeepAlive = 120 },
    SettingCase("topic-alias-maximum", "0", range: 0...65_535) { $0.broker.topicAliasMaximum = 0 },
    SettingCase("max-session-expiry", "4294967295", range: 0...Int(UInt32.max)) { $0.broker.maxSessionExpiry = .max },
    SettingCase("room", "live/# batch_ms=30 rate_limit=500/s overflow=drop_oldest client_rate_limit=2", malformed: ["", "batch_ms=30"]) {
        $0.broker.rooms = [
            RoomPolicy(filter: "live/#", batchInterval: .milliseconds(30), rateLimit: 500, overflow: .dropOldest, clientRateLimit: 2)
        ]
    },
    SettingCase("max-rooms", "10", range: 1...10_000_000) { $0.broker.maxRooms = 10 },
    SettingCase("access-key", "AK1:s3cr3t:cloud", malformed: []) {
        $0.broker.accessKeys = [AccessKey(id: "AK1", secret: "s3cr3t", role: .cloud)]
    },
    SettingCase("acl", "deny subscribe chat/%g/# anonymous", malformed: ["", "allow", "allow publish"]) {
        $0.broker.accessControl.rules = [AccessRule(.deny, .subscribe, "chat/%g/#", who: .anonymous)]
    },
    SettingCase("acl-default", "deny", malformed: ["", "maybe"]) { $0.broker.accessControl.defaultPermission = .deny },
    SettingCase("status-events", "false", malformed: ["", "maybe"]) { $0.broker.statusEvents = false },
    SettingCase("instance-id", "inst-1", malformed: ["", "a|b"]) { $0.broker.instanceID = "inst-1" },
    SettingCase("slow-consumer-policy", "disconnect", malformed: ["", "kick"]) { $0.broker.slowConsumerPolicy = .disconnect },
    // An empty file is a valid password file with no users.
    SettingCase("password-file", "/dev/null", malformed: ["", "/nonexistent/passwords"]) {
        $0.broker.passwordFile = PasswordFile()
        $0.passwordFilePath = "/dev/null"
    },
    SettingCase("token-expire-notice", "90s", range: 0...2_592_000, malformed: notIntegers + ["5x", "m", "1.5m", "-1s"]) {
        $0.broker.tokenExpireNotice = .seconds(90)
    },
    SettingCase("max-revoked-tokens", "10", range: 1...10_000_000) { $0.broker.maxRevokedTokens = 10 },
    SettingCase("mqtt-auth", "token, signature", malformed: ["", ",", "tokens", "token,nope", "none"]) {
        $0.listenerAuthentication["mqtt"] = [.token, .signature]
    },
    SettingCase("mqtts-auth", "certificate", malformed: ["", "cert", "ALL"]) {
        $0.listenerAuthentication["mqtts"] = .certificate
    },
    SettingCase("http-auth", "token", malformed: ["", "websocket"]) { $0.listenerAuthentication["http"] = .token },
    SettingCase("https-auth", "device-credential,token", malformed: ["", "device_credential"]) {
        $0.listenerAuthentication["https"] = [.deviceCredential, .token]
    },
]

/// Field-by-field equality; `ServerConfiguration` itself is not `Equatable`.
func isSame(_ lhs: ServerConfiguration, _ rhs: ServerConfiguration) -> Bool {
    lhs == rhs
}

/// The error thrown by `body`, which must throw one.
func configurationError(_ body: () throws(ConfigurationError) -> Void) -> ConfigurationError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

@Suite("ServerConfiguration")
struct ServerConfigurationTests {
    @Test("the table covers every setting, each key once")
    func tableCoversEverySetting() {
        let keys = ServerConfiguration.settings.map(\.key)
        #expect(Set(keys).count == keys.count, "duplicate keys in ServerConfiguration.settings")
        #expect(settingCases.map(\.key).sorted() == keys.sorted())
        for setting in ServerConfiguration.settings {
            #expect(!setting.help.isEmpty, "\(setting.key) has no help text")
        }
    }

    @Test("documented defaults")
    func defaults() {
        let configuration = ServerConfiguration()
        #expect(configuration.mqtt == ListenAddress(host: "0.0.0.0", port: 1883))
        #expect(configuration.logLevel == .info)
        #expect(configuration.threads == System.coreCount)
        #expect(configuration.memoryTrimInterval == 10)
        // The broker's defaults, but for the queue budget, which the server takes from the
        // machine's memory: a quarter of it.
        var expected = BrokerConfiguration()
        expected.maxQueuedBytesTotal = configuration.broker.maxQueuedBytesTotal
        #expect(configuration.broker == expected)
        #expect(configuration.broker.maxQueuedBytesTotal >= 64 << 20)
        #expect(configuration.broker.allowAnonymous)
    }

    @Test("a valid value applies, and changes nothing else", arguments: settingCases)
    func appliesValue(_ setting: SettingCase) throws {
        var expected = ServerConfiguration()
        setting.effect(&expected)
        #expect(!isSame(expected, ServerConfiguration()), "the test value equals the default and proves nothing")

        var configuration = ServerConfiguration()
        try configuration.apply(key: setting.key, value: setting.value)
        #expect(isSame(configuration, expected))
    }

    @Test("both ends of an integer range are accepted", arguments: settingCases.filter { $0.range != nil })
    func acceptsRangeBounds(_ setting: SettingCase) throws {
        let range = try #require(setting.range)
        for bound in [range.lowerBound, range.upperBound] {
            var configuration = ServerConfiguration()
            try configuration.apply(key: setting.key, value: String(bound))
        }
    }

    @Test("a value just outside an integer range names the key", arguments: settingCases.filter { $0.range != nil })
    func refusesOutOfRange(_ setting: SettingCase) throws {
        let range = try #require(setting.range)
        for value in [range.lowerBound - 1, range.upperBound + 1, Int.min, Int.max] {
            var configuration = ServerConfiguration()
            let error = configurationError { () throws(ConfigurationError) in
                try configuration.apply(key: setting.key, value: String(value))
            }
            #expect(
                error?.description.hasPrefix("\(setting.key): ") == true,
                "\(setting.key) = \(value): \(String(describing: error))"
            )
            #expect(error?.description.contains(String(value)) == true)
            #expect(isSame(configuration, ServerConfiguration()), "a refused value must leave the configuration alone")
        }
    }

    @Test("a malformed value names the key", arguments: settingCases)
    func refusesMalformed(_ setting: SettingCase) {
        for value in setting.malformed {
            var configuration = ServerConfiguration()
            let error = configurationError { () throws(ConfigurationError) in
                try configuration.apply(key: setting.key, value: value)
            }
            #expect(
                error?.description.hasPrefix("\(setting.key): ") == true,
                "\(setting.key) = '\(value)': \(String(describing: error))"
            )
            #expect(error?.description.contains("'\(value)'") == true)
            #expect(isSame(configuration, ServerConfiguration()))
        }
    }

    @Test("an unknown key is an error that names it", arguments: ["max_packet_size", "Threads", "mqtt-port", ""])
    func refusesUnknownKey(_ key: String) {
        var configuration = ServerConfiguration()
        let error = configurationError { () throws(ConfigurationError) in
            try configuration.apply(key: key, value: "1")
        }
        #expect(error?.description == "unknown setting '\(key)'")
    }

    @Test(
        "booleans",
        arguments: [
            ("true", true), ("TRUE", true), ("yes", true), ("on", true), ("1", true),
            ("false", false), ("False", false), ("no", false), ("off", false), ("0", false),
        ]
    )
    func booleans(_ value: String, _ expected: Bool) throws {
        var configuration = ServerConfiguration()
        configuration.broker.allowAnonymous = !expected
        try configuration.apply(key: "allow-anonymous", value: value)
        #expect(configuration.broker.allowAnonymous == expected)
    }

    @Test("every log level", arguments: Logger.Level.allCases)
    func logLevels(_ level: Logger.Level) throws {
        var configuration = ServerConfiguration()
        try configuration.apply(key: "log-level", value: level.rawValue.uppercased())
        #expect(configuration.logLevel == level)
    }

    @Test("a later value overrides an earlier one")
    func laterWins() throws {
        var configuration = ServerConfiguration()
        try configuration.apply(key: "max-inflight", value: "5")
        try configuration.apply(key: "max-inflight", value: "6")
        #expect(configuration.broker.maxInflight == 6)
    }
}
