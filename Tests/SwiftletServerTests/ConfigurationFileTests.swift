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
import Logging
import NIOCore
import SwiftletBroker
import SwiftletServer
import Testing

@Suite("ServerConfiguration YAML file")
struct ConfigurationFileTests {
    static let source = "swiftlet.yaml"

    /// Applies `yaml` to a default configuration and returns the error it must throw.
    func yamlError(_ yaml: String) -> ConfigurationError? {
        var configuration = ServerConfiguration()
        return configurationError { () throws(ConfigurationError) in
            try configuration.apply(yaml: yaml, source: Self.source)
        }
    }

    @Test("a file setting every key")
    func fullFile() throws {
        let yaml = """
            # Swiftlet, every setting
            mqtt: 127.0.0.1:1884
            log-level: warning
            threads: 2
            allow-anonymous: no
            max-packet-size: 65536
            max-topic-length: 512
            max-topic-levels: 16
            max-subscriptions-per-client: 20
            max-inflight: 8
            max-queued-messages: 100
            max-outbound-bytes: 2048
            max-connections: 1000
            max-retained-messages: 77
            connect-timeout: 5
            max-keepalive: 300
            topic-alias-maximum: 10
            max-session-expiry: 3600

            """
        var configuration = ServerConfiguration()
        try configuration.apply(yaml: yaml, source: Self.source)

        #expect(configuration.mqtt == ListenAddress(host: "127.0.0.1", port: 1884))
        #expect(configuration.logLevel == .warning)
        #expect(configuration.threads == 2)
        let broker = configuration.broker
        #expect(broker.allowAnonymous == false)
        #expect(broker.maxPacketSize == 65536)
        #expect(broker.maxTopicLength == 512)
        #expect(broker.maxTopicLevels == 16)
        #expect(broker.maxSubscriptionsPerClient == 20)
        #expect(broker.maxInflight == 8)
        #expect(broker.maxQueuedMessages == 100)
        #expect(broker.maxOutboundBytes == 2048)
        #expect(broker.maxConnections == 1000)
        #expect(broker.maxRetainedMessages == 77)
        #expect(broker.connectTimeout == .seconds(5))
        #expect(broker.maxKeepAlive == 300)
        #expect(broker.topicAliasMaximum == 10)
        #expect(broker.maxSessionExpiry == 3600)
    }

    @Test("the example of `swiftlet serve --help`, and quoted values")
    func helpExampleAndQuoting() throws {
        var configuration = ServerConfiguration()
        try configuration.apply(
            yaml: """
                mqtt: "[::1]:1883"
                max-packet-size: '65536'
                """,
            source: Self.source
        )
        #expect(configuration.mqtt == ListenAddress(host: "::1", port: 1883))
        #expect(configuration.broker.maxPacketSize == 65536)
    }

    @Test("numbers may group digits with underscores")
    func underscores() throws {
        var configuration = ServerConfiguration()
        try configuration.apply(
            yaml: """
                max-packet-size: 1_048_576
                max-session-expiry: 4_294_967_295
                max-connections: 10_000_000
                """,
            source: Self.source
        )
        #expect(configuration.broker.maxPacketSize == 1_048_576)
        #expect(configuration.broker.maxSessionExpiry == 4_294_967_295)
        #expect(configuration.broker.maxConnections == 10_000_000)
    }

    @Test("an empty file changes nothing", arguments: ["", "\n\n", "# only a comment\n"])
    func emptyFile(_ yaml: String) throws {
        var configuration = ServerConfiguration()
        configuration.broker.maxInflight = 7
        try configuration.apply(yaml: yaml, source: Self.source)
        var expected = ServerConfiguration()
        expected.broker.maxInflight = 7
        #expect(isSame(configuration, expected))
    }

    @Test("the top level must be a mapping", arguments: ["- mqtt\n- threads\n", "threads\n", "42\n"])
    func topLevelNotAMapping(_ yaml: String) {
        #expect(yamlError(yaml)?.description == "\(Self.source): expected a mapping of settings at the top level")
    }

    @Test(
        "a nested value is an error naming the key",
        arguments: [
            "threads:\n  value: 2\n",
            "threads: [1, 2]\n",
            "threads:\n  - 2\n",
        ]
    )
    func nestedValue(_ yaml: String) {
        #expect(yamlError(yaml)?.description == "\(Self.source): 'threads' must be a single value")
    }

    @Test("an unknown key is an error naming it")
    func unknownKey() {
        let yaml = """
            threads: 2
            max-packet-sise: 4096
            """
        #expect(yamlError(yaml)?.description == "\(Self.source): unknown setting 'max-packet-sise'")
    }

    @Test("a bad value names the file and the key")
    func badValue() throws {
        let description = try #require(yamlError("max-inflight: 0\n")?.description)
        #expect(description.hasPrefix("\(Self.source): max-inflight: "))
    }

    @Test("a key without a value is an error naming the key")
    func missingValue() throws {
        let description = try #require(yamlError("connect-timeout:\n")?.description)
        #expect(description.hasPrefix("\(Self.source): connect-timeout: "))
    }

    @Test("text that is not YAML names the file")
    func invalidYAML() throws {
        let description = try #require(yamlError("threads: [1, 2\n")?.description)
        #expect(description.hasPrefix("\(Self.source): not valid YAML"))
    }

    @Test("a file on disk")
    func fileOnDisk() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftlet-config-\(UUID().uuidString).yaml")
        try "mqtt: 127.0.0.1:0\nthreads: 1\nmax-inflight: 9\n".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }

        var configuration = ServerConfiguration()
        try configuration.apply(fileAt: url.path)
        #expect(configuration.mqtt == ListenAddress(host: "127.0.0.1", port: 0))
        #expect(configuration.threads == 1)
        #expect(configuration.broker.maxInflight == 9)
    }

    @Test("an error in a file on disk names its path")
    func fileOnDiskWithError() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftlet-config-\(UUID().uuidString).yaml")
        try "threads: 0\n".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }

        var configuration = ServerConfiguration()
        let error = configurationError { () throws(ConfigurationError) in
            try configuration.apply(fileAt: url.path)
        }
        #expect(error?.description.hasPrefix("\(url.path): threads: ") == true)
    }

    @Test("a missing file is an error naming its path")
    func missingFile() {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftlet-missing-\(UUID().uuidString)/swiftlet.yaml").path
        var configuration = ServerConfiguration()
        let error = configurationError { () throws(ConfigurationError) in
            try configuration.apply(fileAt: path)
        }
        #expect(error?.description.hasPrefix("cannot read config file '\(path)'") == true)
    }

    // MARK: - Room policies (DESIGN §5)

    @Test("rooms: a list of policies, in order")
    func rooms() throws {
        let yaml = """
            rooms:
              - match: "live/#"
                batch_ms: 30
                rate_limit: 500/s
                overflow: drop_oldest
                client_rate_limit: 2/s
              - match: chat/+
                batch_ms: 5
            slow-consumer-policy: disconnect
            """
        var configuration = ServerConfiguration()
        try configuration.apply(yaml: yaml, source: Self.source)
        #expect(
            configuration.broker.rooms == [
                RoomPolicy(
                    filter: "live/#", batchInterval: .milliseconds(30), rateLimit: 500, overflow: .dropOldest,
                    clientRateLimit: 2),
                RoomPolicy(filter: "chat/+", batchInterval: .milliseconds(5)),
            ])
        #expect(configuration.broker.slowConsumerPolicy == .disconnect)
    }

    @Test(
        "a bad room policy names the file and what is wrong",
        arguments: [
            ("rooms: live/#\n", "'rooms' must be a list of room policies"),
            ("rooms:\n  - live/#\n", "each entry of 'rooms' must be a mapping with a 'match' key"),
            ("rooms:\n  - batch_ms: 30\n", "room: 'match' (a topic filter) is required"),
            ("rooms:\n  - match: live/#\n    batch: 30\n", "room: unknown key 'batch'"),
            ("rooms:\n  - match: live/#\n    batch_ms: 0\n", "room: batch_ms: expected milliseconds in 1...10000, got '0'"),
            ("rooms:\n  - match: live/#\n    rate_limit: fast\n", "room: rate_limit: expected messages per second such as 500/s, got 'fast'"),
            ("rooms:\n  - match: live/#\n    overflow: drop_all\n", "room: overflow: expected one of drop_newest, drop_oldest, sample, got 'drop_all'"),
            ("rooms:\n  - match: live/#\n    rate_limit: 5\n    overflow: sample\n", "room: live/#: overflow sample needs batch_ms"),
            ("rooms:\n  - match: live/#/x\n", "room: live/#/x: 'live/#/x' is not a topic filter"),
        ]
    )
    func badRoom(_ yaml: String, _ expected: String) {
        let description = yamlError(yaml)?.description ?? "no error"
        #expect(description.hasPrefix("\(Self.source): \(expected)"), "\(description)")
    }

    // MARK: - Access keys (DESIGN §6)

    @Test("access-keys: a list of id, secret and role; role defaults to device")
    func accessKeys() throws {
        let yaml = """
            allow-anonymous: false
            instance-id: inst-1
            access-keys:
              - id: AK1
                secret: "s3cr3t: with colon"
                role: cloud
              - id: AK2
                secret: other
            """
        var configuration = ServerConfiguration()
        try configuration.apply(yaml: yaml, source: Self.source)
        #expect(
            configuration.broker.accessKeys == [
                AccessKey(id: "AK1", secret: "s3cr3t: with colon", role: .cloud),
                AccessKey(id: "AK2", secret: "other", role: .device),
            ])
        #expect(configuration.broker.instanceID == "inst-1")
        #expect(!configuration.broker.allowAnonymous)
    }

    @Test(
        "a bad access key is refused without quoting its secret",
        arguments: [
            "access-keys:\n  - id: AK1\n    secret: hunter2\n    role: admin\n",
            "access-keys:\n  - id: AK1\n    secret: hunter2\n    extra: x\n",
            "access-keys:\n  - secret: hunter2\n",
            "access-keys: hunter2\n",
        ])
    func badAccessKey(_ yaml: String) {
        let description = yamlError(yaml)?.description ?? "no error"
        #expect(description.hasPrefix("\(Self.source): "), "\(description)")
        #expect(!description.contains("hunter2"))
    }

    @Test("--access-key errors never echo the secret")
    func accessKeyFlag() {
        var configuration = ServerConfiguration()
        let error = configurationError { () throws(ConfigurationError) in
            try configuration.apply(key: "access-key", value: "AK1:hunter2:admin")
        }
        #expect(error?.description.hasPrefix("access-key: ") == true)
        #expect(error?.description.contains("hunter2") == false)
    }

    @Test("admin-token: too short or with spaces is refused, and the refusal never echoes it")
    func adminTokenFlag() {
        for value in ["", "hunter2", "hunter2 hunter2 hunter2"] {
            var configuration = ServerConfiguration()
            let error = configurationError { () throws(ConfigurationError) in
                try configuration.apply(key: "admin-token", value: value)
            }
            #expect(error?.description.hasPrefix("admin-token: ") == true)
            #expect(error?.description.contains("hunter2") == false)
            #expect(configuration.adminToken == nil)
        }
    }

    @Test("acl: ordered rules and a default")
    func acl() throws {
        let yaml = """
            acl-default: deny
            acl:
              - {permission: allow, action: all, filter: "chat/%g/#", who: device}
              - permission: deny
                action: publish
                filter: "#"
            """
        var configuration = ServerConfiguration()
        try configuration.apply(yaml: yaml, source: Self.source)
        #expect(
            configuration.broker.accessControl
                == AccessControl(
                    rules: [AccessRule(.allow, .all, "chat/%g/#", who: .device), AccessRule(.deny, .publish, "#")],
                    defaultPermission: .deny))
        #expect(yamlError("acl:\n  - {permission: maybe, action: all, filter: x}\n")?.description
            == "\(Self.source): acl: permission must be allow or deny")
        #expect(yamlError("acl:\n  - {permission: allow, action: all, filter: \"a/#/b\"}\n")?.description
            == "\(Self.source): acl: 'a/#/b' is not a topic filter")
        #expect(yamlError("acl:\n  - {permission: allow, action: all, filter: x, extra: y}\n") != nil)
    }
}
