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

/// Everything `swiftlet serve` runs with: listeners, logging, and the broker's limits.
///
/// Built from the embedded defaults, then a config file (`--config`), then flags; each later
/// source wins over the earlier ones.
package struct ServerConfiguration: Sendable, Equatable {
    /// MQTT over TCP (DESIGN §1); default all interfaces, port 1883; nil when turned off.
    package var mqtt: ListenAddress? = ListenAddress(host: "0.0.0.0", port: 1883)
    /// HTTP: MQTT over WebSocket on \`wsPath\` and static files from \`webRoot\`.
    package var http: ListenAddress? = ListenAddress(host: "0.0.0.0", port: 8080)
    /// MQTT over TLS; started only with a certificate.
    package var mqtts: ListenAddress? = ListenAddress(host: "0.0.0.0", port: 8883)
    /// HTTPS and WSS; started only with a certificate.
    package var https: ListenAddress? = ListenAddress(host: "0.0.0.0", port: 8443)
    /// The admin API and Prometheus metrics (docs/admin-api.md); loopback by default, never
    /// public unless configured so; nil when turned off.
    package var admin: ListenAddress? = ListenAddress(host: "127.0.0.1", port: 18083)
    /// The bearer token of the admin API; nil: only cloud access keys may use it.
    package var adminToken: String?
    /// The path that upgrades to MQTT over WebSocket.
    package var wsPath = "/mqtt"
    /// Directory served on the HTTP port (relative paths against the working directory).
    package var webRoot = "web-demo"
    /// Offer permessage-deflate (RFC 7692) to WebSocket clients.
    package var wsDeflate = true
    /// WebSocket messages smaller than this are sent uncompressed.
    package var wsDeflateMinimumSize = 256
    package var tlsCertificate: String?
    package var tlsKey: String?
    package var tlsCA: String?
    package var tlsVerifyClients: TLSSettings.ClientVerification = .none
    package var tlsCommonNameAsUsername = false
    /// Where ``BrokerConfiguration/passwordFile`` was read from, for the startup log.
    package var passwordFilePath: String?
    /// Authentication modes by listener name (`mqtt`, `mqtts`, `http`, `https`); a listener not
    /// named allows every mode the broker's configuration allows.
    package var listenerAuthentication: [String: AuthenticationModes] = [:]
    package var logLevel: Logger.Level = .info
    /// Event loop threads; default one per core (DESIGN §4.1).
    package var threads: Int = System.coreCount
    /// Seconds between checks whether memory freed after a spike is worth returning to the
    /// system (``MemoryTrimmer``, glibc only); 0 turns the trimmer off.
    package var memoryTrimInterval = 10
    /// Seconds an HTTP client (static files, the WebSocket upgrade, the admin API) has to send a
    /// complete request head, after connecting and after each response; then 408 and a close.
    package var httpHeaderTimeout = 10
    package var broker = BrokerConfiguration()

    package init() {
        broker.maxQueuedBytesTotal = SystemMemory.defaultQueuedBytesTotal
    }
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
            config.mqtt = try listener("mqtt", value)
        },
        ConfigurationSetting(key: "http", help: "HTTP listener (WebSocket + static files), HOST:PORT or off") { config, value throws(ConfigurationError) in
            config.http = try listener("http", value)
        },
        ConfigurationSetting(key: "mqtts", help: "MQTT/TLS listener, HOST:PORT or off (needs tls-cert and tls-key)") { config, value throws(ConfigurationError) in
            config.mqtts = try listener("mqtts", value)
        },
        ConfigurationSetting(key: "https", help: "HTTPS/WSS listener, HOST:PORT or off (needs tls-cert and tls-key)") { config, value throws(ConfigurationError) in
            config.https = try listener("https", value)
        },
        ConfigurationSetting(key: "ws-path", help: "path that upgrades to MQTT over WebSocket") { config, value throws(ConfigurationError) in
            guard value.hasPrefix("/"), !value.contains("?"), !value.contains(" ") else {
                throw ConfigurationError("ws-path: expected an absolute path such as /mqtt, got '\(value)'")
            }
            config.wsPath = value
        },
        ConfigurationSetting(key: "web-root", help: "directory of static files served over HTTP") { config, value throws(ConfigurationError) in
            guard !value.isEmpty else { throw ConfigurationError("web-root: expected a directory, got '\(value)'") }
            config.webRoot = value
        },
        ConfigurationSetting(key: "ws-deflate", help: "offer permessage-deflate to WebSocket clients (true/false)") { config, value throws(ConfigurationError) in
            config.wsDeflate = try boolean("ws-deflate", value)
        },
        ConfigurationSetting(key: "ws-deflate-min-size", help: "smallest WebSocket message compressed, in bytes") { config, value throws(ConfigurationError) in
            config.wsDeflateMinimumSize = try integer("ws-deflate-min-size", value, in: 0...1 << 30)
        },
        ConfigurationSetting(key: "tls-cert", help: "PEM certificate chain for the TLS listeners") { config, value throws(ConfigurationError) in
            config.tlsCertificate = value
        },
        ConfigurationSetting(key: "tls-key", help: "PEM private key for the TLS listeners") { config, value throws(ConfigurationError) in
            config.tlsKey = value
        },
        ConfigurationSetting(key: "tls-ca", help: "PEM CA certificates that client certificates must chain to") { config, value throws(ConfigurationError) in
            config.tlsCA = value
        },
        ConfigurationSetting(key: "tls-verify-clients", help: "client certificates: none, optional or require") { config, value throws(ConfigurationError) in
            guard let mode = TLSSettings.ClientVerification(rawValue: value.lowercased()) else {
                throw ConfigurationError("tls-verify-clients: expected none, optional or require, got '\(value)'")
            }
            config.tlsVerifyClients = mode
        },
        ConfigurationSetting(key: "tls-cn-as-username", help: "use the client certificate's CN as the MQTT user name (true/false)") { config, value throws(ConfigurationError) in
            config.tlsCommonNameAsUsername = try boolean("tls-cn-as-username", value)
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
        ConfigurationSetting(key: "memory-trim-interval", help: "seconds between checks whether freed memory goes back to the system (glibc), 0 for off") { config, value throws(ConfigurationError) in
            config.memoryTrimInterval = try seconds("memory-trim-interval", value, in: 0...86_400)
        },
        ConfigurationSetting(key: "http-header-timeout", help: "seconds an HTTP client has to send a complete request head, after connecting and after each response (then 408 and close)") { config, value throws(ConfigurationError) in
            config.httpHeaderTimeout = try seconds("http-header-timeout", value, in: 1...3600)
        },
        ConfigurationSetting(key: "allow-anonymous", help: "accept clients without credentials (true/false)") { config, value throws(ConfigurationError) in
            config.broker.allowAnonymous = try boolean("allow-anonymous", value)
        },
        listenerAuthenticationSetting("mqtt"),
        listenerAuthenticationSetting("mqtts"),
        listenerAuthenticationSetting("http"),
        listenerAuthenticationSetting("https"),
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
        ConfigurationSetting(key: "max-queued-bytes", help: "bytes of QoS 1/2 messages queued and in flight per session") { config, value throws(ConfigurationError) in
            config.broker.maxQueuedBytes = try integer("max-queued-bytes", value, in: 1024...1 << 40)
        },
        ConfigurationSetting(key: "max-queued-bytes-total", help: "bytes queued in all sessions; when full the largest queues lose their oldest messages (default: a quarter of memory)") { config, value throws(ConfigurationError) in
            config.broker.maxQueuedBytesTotal = try integer("max-queued-bytes-total", value, in: 1 << 20...1 << 50)
        },
        ConfigurationSetting(key: "max-sessions", help: "persistent sessions (expiry above 0), connected or not") { config, value throws(ConfigurationError) in
            config.broker.maxSessions = try integer("max-sessions", value, in: 1...100_000_000)
        },
        ConfigurationSetting(key: "max-outbound-bytes", help: "unflushed bytes per connection before QoS 0 is dropped and reading pauses") { config, value throws(ConfigurationError) in
            config.broker.maxOutboundBytes = try integer("max-outbound-bytes", value, in: 1024...1 << 30)
        },
        ConfigurationSetting(key: "write-stall-timeout", help: "seconds a connection's output may stay above max-outbound-bytes before it is closed, 0 for never") { config, value throws(ConfigurationError) in
            let seconds = try integer("write-stall-timeout", value, in: 0...86_400)
            config.broker.writeStallTimeout = seconds == 0 ? nil : .seconds(Int64(seconds))
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
        ConfigurationSetting(key: "room", help: "room policy 'FILTER key=value ...' (batch_ms, rate_limit, overflow, client_rate_limit); repeatable") { config, value throws(ConfigurationError) in
            config.broker.rooms.append(try RoomPolicy(flag: value))
        },
        ConfigurationSetting(key: "access-key", help: "access key for signature and token credentials, ID:SECRET:ROLE (role device or cloud); repeatable") { config, value throws(ConfigurationError) in
            let parts = value.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            // The secret is never echoed back in an error.
            guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
                let role = AccessKey.Role(rawValue: String(parts[2]))
            else {
                throw ConfigurationError("access-key: expected ID:SECRET:ROLE with ROLE device or cloud")
            }
            config.broker.accessKeys.append(AccessKey(id: String(parts[0]), secret: String(parts[1]), role: role))
        },
        ConfigurationSetting(key: "acl", help: "ACL rule 'allow|deny publish|subscribe|all FILTER [all|anonymous|device|cloud]' (%c %u %g); repeatable, first match wins") { config, value throws(ConfigurationError) in
            config.broker.accessControl.rules.append(try AccessRule(flag: value))
        },
        ConfigurationSetting(key: "acl-default", help: "when no ACL rule matches: allow or deny") { config, value throws(ConfigurationError) in
            guard let permission = AccessRule.Permission(rawValue: value.lowercased()) else {
                throw ConfigurationError("acl-default: expected allow or deny, got '\(value)'")
            }
            config.broker.accessControl.defaultPermission = permission
        },
        ConfigurationSetting(key: "status-events", help: "publish client connect/disconnect events on $SYS/clients/... (true/false)") { config, value throws(ConfigurationError) in
            config.broker.statusEvents = try boolean("status-events", value)
        },
        ConfigurationSetting(key: "instance-id", help: "instance ID that credentials must name (default: any)") { config, value throws(ConfigurationError) in
            guard !value.isEmpty, !value.contains("|") else {
                throw ConfigurationError("instance-id: expected a non-empty ID without '|', got '\(value)'")
            }
            config.broker.instanceID = value
        },
        ConfigurationSetting(key: "password-file", help: "Mosquitto-style password file (user:$7$... or $6$ hashes, see swiftlet passwd) for plain user names") { config, value throws(ConfigurationError) in
            do throws(PasswordFileError) {
                config.broker.passwordFile = try PasswordFile(contentsOf: value)
            } catch {
                throw ConfigurationError("password-file: \(error.description)")
            }
            config.passwordFilePath = value
        },
        ConfigurationSetting(key: "token-expire-notice", help: "how long before a token expires its client is told on $SYS/tokenExpireNotice, e.g. 300s or 5m") { config, value throws(ConfigurationError) in
            config.broker.tokenExpireNotice = .seconds(Int64(try seconds("token-expire-notice", value, in: 0...30 * 24 * 3600)))
        },
        ConfigurationSetting(key: "max-revoked-tokens", help: "revoked tokens remembered until they expire") { config, value throws(ConfigurationError) in
            config.broker.maxRevokedTokens = try integer("max-revoked-tokens", value, in: 1...10_000_000)
        },
        ConfigurationSetting(key: "max-rooms", help: "rooms (topics under a room policy) tracked at most") { config, value throws(ConfigurationError) in
            config.broker.maxRooms = try integer("max-rooms", value, in: 1...10_000_000)
        },
        ConfigurationSetting(key: "admin", help: "admin API and /metrics listener, HOST:PORT or off (default 127.0.0.1:18083)") { config, value throws(ConfigurationError) in
            config.admin = try listener("admin", value)
        },
        ConfigurationSetting(key: "admin-token", help: "bearer token for the admin API (Authorization: Bearer TOKEN)") { config, value throws(ConfigurationError) in
            // The token is never echoed back in an error.
            guard value.utf8.count >= 16, !value.contains(where: { $0.isWhitespace }) else {
                throw ConfigurationError("admin-token: expected at least 16 characters without spaces")
            }
            config.adminToken = value
        },
        ConfigurationSetting(key: "slow-consumer-policy", help: "when a connected client's session queue is full: drop or disconnect") { config, value throws(ConfigurationError) in
            guard let policy = SlowConsumerPolicy(rawValue: value.lowercased()) else {
                throw ConfigurationError("slow-consumer-policy: expected drop or disconnect, got '\(value)'")
            }
            config.broker.slowConsumerPolicy = policy
        },
    ]

    /// Applies one setting by key.
    package mutating func apply(key: String, value: String) throws(ConfigurationError) {
        guard let setting = Self.settings.first(where: { $0.key == key }) else {
            throw ConfigurationError("unknown setting '\(key)'")
        }
        try setting.apply(&self, value)
    }

    private static func listener(_ key: String, _ value: String) throws(ConfigurationError) -> ListenAddress? {
        if value.lowercased() == "off" { return nil }
        guard let address = ListenAddress(parsing: value) else {
            throw ConfigurationError("\(key): expected HOST:PORT or off, got '\(value)'")
        }
        return address
    }

    /// The TLS settings when a certificate and key are configured.
    package func tlsSettings() throws(ConfigurationError) -> TLSSettings? {
        switch (tlsCertificate, tlsKey) {
        case (nil, nil):
            if tlsVerifyClients != .none || tlsCA != nil {
                throw ConfigurationError("tls-ca and tls-verify-clients need tls-cert and tls-key")
            }
            return nil
        case (let certificate?, let key?):
            var settings = TLSSettings(certificatePath: certificate, privateKeyPath: key)
            settings.caPath = tlsCA
            settings.clientVerification = tlsVerifyClients
            settings.commonNameAsUsername = tlsCommonNameAsUsername
            if tlsVerifyClients != .none && tlsCA == nil {
                throw ConfigurationError("tls-verify-clients \(tlsVerifyClients.rawValue) needs tls-ca")
            }
            return settings
        default:
            throw ConfigurationError("tls-cert and tls-key go together")
        }
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

    /// A duration in seconds: `300`, `300s`, `5m` or `1h`.
    private static func seconds(_ key: String, _ value: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let units: [(suffix: String, scale: Int)] = [("s", 1), ("m", 60), ("h", 3600)]
        let unit = units.first { value.hasSuffix($0.suffix) }
        let digits = unit.map { String(value.dropLast($0.suffix.count)) } ?? value
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(digits),
            case let (total, overflow) = number.multipliedReportingOverflow(by: unit?.scale ?? 1), !overflow,
            range.contains(total)
        else {
            throw ConfigurationError("\(key): expected a duration such as 300s, 5m or 1h within \(range.upperBound) s, got '\(value)'")
        }
        return total
    }

    /// `mqtt-auth`, `mqtts-auth`, `http-auth`, `https-auth`: what a listener's clients may
    /// authenticate with (DESIGN §6: modes, combinable per listener).
    private static func listenerAuthenticationSetting(_ listener: String) -> ConfigurationSetting {
        let key = "\(listener)-auth"
        let names = AuthenticationModes.names.map(\.name).joined(separator: ",")
        return ConfigurationSetting(
            key: key, help: "authentication modes of the \(listener) listener: all, or a list of \(names)"
        ) { config, value throws(ConfigurationError) in
            guard let modes = AuthenticationModes(list: value) else {
                throw ConfigurationError("\(key): '\(value)' is not 'all' or a comma-separated list of \(names)")
            }
            config.listenerAuthentication[listener] = modes
        }
    }

    /// The authentication modes of a listener (`mqtt`, `mqtts`, `http`, `https`).
    package func authenticationModes(of listener: String) -> AuthenticationModes {
        listenerAuthentication[listener] ?? .all
    }

    private static func boolean(_ key: String, _ value: String) throws(ConfigurationError) -> Bool {
        switch value.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw ConfigurationError("\(key): expected true or false, got '\(value)'")
        }
    }
}
