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
import SwiftletBroker

/// Everything `swiftlet serve` runs with: listeners, logging, and the broker's limits.
///
/// Built from the embedded defaults, then a config file (`--config`), then flags; each later
/// source wins over the earlier ones.
package struct ServerConfiguration: Sendable {
    /// MQTT over TCP (DESIGN §1); default all interfaces, port 1883.
    package var mqtt = ListenAddress(host: "0.0.0.0", port: 1883)
    package var logLevel: Logger.Level = .info
    /// Event loop threads; default one per core (DESIGN §4.1).
    package var threads: Int = System.coreCount
    package var broker = BrokerConfiguration()

    package init() {}
}

/// One configuration setting: its key (the flag name without dashes, also the YAML key), its
/// help text, and how to apply a textual value. One table serves the config file, the flags'
/// documentation and `check-config`, so the three cannot drift apart.
package struct ConfigurationSetting: Sendable {
    package var key: String
    package var help: String
    package var apply: @Sendable (inout ServerConfiguration, String) throws(ConfigurationError) -> Void
}

package struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    package var description: String
    package init(_ description: String) { self.description = description }
}

extension ServerConfiguration {
    /// Every setting the config file and the flags accept.
    package static let settings: [ConfigurationSetting] = [
        ConfigurationSetting(key: "mqtt", help: "MQTT/TCP listener, HOST:PORT (port 0 picks a free port)") { config, value throws(ConfigurationError) in
            guard let address = ListenAddress(parsing: value) else {
                throw ConfigurationError("mqtt: expected HOST:PORT, got '\(value)'")
            }
            config.mqtt = address
        },
        ConfigurationSetting(key: "log-level", help: "trace, debug, info, notice, warning, error or critical") { config, value throws(ConfigurationError) in
            guard let level = Logger.Level(rawValue: value.lowercased()) else {
                throw ConfigurationError("log-level: unknown level '\(value)'")
            }
            config.logLevel = level
        },
        ConfigurationSetting(key: "threads", help: "event loop threads (default: one per core)") { config, value throws(ConfigurationError) in
            config.threads = try integer("threads", value, in: 1...1024)
        },
        ConfigurationSetting(key: "allow-anonymous", help: "accept clients without credentials (true/false)") { config, value throws(ConfigurationError) in
            config.broker.allowAnonymous = try boolean("allow-anonymous", value)
        },
        ConfigurationSetting(key: "max-packet-size", help: "largest MQTT packet accepted, in bytes") { config, value throws(ConfigurationError) in
            // Below the protocol's 268,435,455-byte ceiling, leaving room for the properties the broker adds
            // when it forwards a message (expiry, subscription identifiers).
            config.broker.maxPacketSize = try integer("max-packet-size", value, in: 64...(256 << 20) - 65_536)
        },
        ConfigurationSetting(key: "max-topic-length", help: "longest topic name or filter, in bytes") { config, value throws(ConfigurationError) in
            config.broker.maxTopicLength = try integer("max-topic-length", value, in: 1...65_535)
        },
        ConfigurationSetting(key: "max-topic-levels", help: "most levels in a topic name or filter") { config, value throws(ConfigurationError) in
            config.broker.maxTopicLevels = try integer("max-topic-levels", value, in: 1...65_535)
        },
        ConfigurationSetting(key: "max-subscriptions-per-client", help: "most subscriptions per session") { config, value throws(ConfigurationError) in
            config.broker.maxSubscriptionsPerClient = try integer("max-subscriptions-per-client", value, in: 1...1_000_000)
        },
        ConfigurationSetting(key: "max-inflight", help: "server Receive Maximum and outbound inflight window") { config, value throws(ConfigurationError) in
            config.broker.maxInflight = try integer("max-inflight", value, in: 1...65_535)
        },
        ConfigurationSetting(key: "max-queued-messages", help: "QoS 1/2 messages queued per session") { config, value throws(ConfigurationError) in
            config.broker.maxQueuedMessages = try integer("max-queued-messages", value, in: 0...10_000_000)
        },
        ConfigurationSetting(key: "max-outbound-bytes", help: "unflushed bytes per connection before QoS 0 is dropped") { config, value throws(ConfigurationError) in
            config.broker.maxOutboundBytes = try integer("max-outbound-bytes", value, in: 1024...1 << 30)
        },
        ConfigurationSetting(key: "max-retained-messages", help: "retained messages kept, one per topic") { config, value throws(ConfigurationError) in
            config.broker.maxRetainedMessages = try integer("max-retained-messages", value, in: 0...100_000_000)
        },
        ConfigurationSetting(key: "queue-qos0-offline", help: "queue QoS 0 messages for offline persistent sessions (true/false)") { config, value throws(ConfigurationError) in
            config.broker.queueQoS0Offline = try boolean("queue-qos0-offline", value)
        },
        ConfigurationSetting(key: "max-connections", help: "concurrent client connections") { config, value throws(ConfigurationError) in
            config.broker.maxConnections = try integer("max-connections", value, in: 1...10_000_000)
        },
        ConfigurationSetting(key: "connect-timeout", help: "seconds a new socket has to send CONNECT") { config, value throws(ConfigurationError) in
            config.broker.connectTimeout = .seconds(Int64(try integer("connect-timeout", value, in: 1...3600)))
        },
        ConfigurationSetting(key: "max-keepalive", help: "largest keep-alive in seconds, 0 for no limit (MQTT 5 Server Keep Alive)") { config, value throws(ConfigurationError) in
            config.broker.maxKeepAlive = UInt16(try integer("max-keepalive", value, in: 0...65_535))
        },
        ConfigurationSetting(key: "topic-alias-maximum", help: "topic aliases a client may use towards the server") { config, value throws(ConfigurationError) in
            config.broker.topicAliasMaximum = UInt16(try integer("topic-alias-maximum", value, in: 0...65_535))
        },
        ConfigurationSetting(key: "max-session-expiry", help: "longest session expiry in seconds (also for 3.1.1 persistent sessions)") { config, value throws(ConfigurationError) in
            config.broker.maxSessionExpiry = UInt32(try integer("max-session-expiry", value, in: 0...Int(UInt32.max)))
        },
    ]

    /// Applies one setting by key.
    package mutating func apply(key: String, value: String) throws(ConfigurationError) {
        guard let setting = Self.settings.first(where: { $0.key == key }) else {
            throw ConfigurationError("unknown setting '\(key)'")
        }
        try setting.apply(&self, value)
    }

    private static func integer(_ key: String, _ value: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        // Digits with optional `_` separators between them (`1_048_576`), as in YAML 1.1.
        let digits = value.hasPrefix("-") ? value.dropFirst() : Substring(value)
        let wellFormed =
            !digits.isEmpty && digits.first != "_" && digits.last != "_" && !digits.contains("__")
            && digits.allSatisfy { $0 == "_" || ($0.isASCII && $0.isNumber) }
        guard wellFormed, let number = Int(value.filter { $0 != "_" }), range.contains(number) else {
            throw ConfigurationError("\(key): expected an integer in \(range.lowerBound)...\(range.upperBound), got '\(value)'")
        }
        return number
    }

    private static func boolean(_ key: String, _ value: String) throws(ConfigurationError) -> Bool {
        switch value.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw ConfigurationError("\(key): expected true or false, got '\(value)'")
        }
    }
}
