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
import ArgumentParser
import Logging
import SwiftletServer

/// The flags shared by `serve` and `check-config`. Each is optional: an absent flag leaves the
/// config file's value (or the embedded default) in place.
struct ServerOptions: ParsableArguments {
    @Option(name: .long, help: "YAML config file; flags override its settings.")
    var config: String?

    @Option(name: .long, help: "MQTT/TCP listener, HOST:PORT (default 0.0.0.0:1883; port 0 picks a free port).")
    var mqtt: String?

    @Option(name: .long, help: "HTTP listener for MQTT over WebSocket and static files, HOST:PORT or off (default 0.0.0.0:8080).")
    var http: String?

    @Option(name: .long, help: "MQTT/TLS listener, HOST:PORT or off (default 0.0.0.0:8883; needs --tls-cert and --tls-key).")
    var mqtts: String?

    @Option(name: .long, help: "HTTPS/WSS listener, HOST:PORT or off (default 0.0.0.0:8443; needs --tls-cert and --tls-key).")
    var https: String?

    @Option(name: .long, help: "Admin API and /metrics listener, HOST:PORT or off (default 127.0.0.1:18083).")
    var admin: String?

    @Option(name: .long, help: "Bearer token for the admin API, at least 16 characters (default: none; cloud access keys only).")
    var adminToken: String?

    @Option(name: .long, help: "Path that upgrades to MQTT over WebSocket (default /mqtt).")
    var wsPath: String?

    @Option(name: .long, help: "Directory of static files served over HTTP (default web-demo).")
    var webRoot: String?

    @Option(name: .long, help: "Offer permessage-deflate to WebSocket clients: true or false (default true).")
    var wsDeflate: String?

    @Option(name: .long, help: "Smallest WebSocket message compressed, in bytes (default 256).")
    var wsDeflateMinSize: String?

    @Option(name: .long, help: "PEM certificate chain for the TLS listeners.")
    var tlsCert: String?

    @Option(name: .long, help: "PEM private key for the TLS listeners.")
    var tlsKey: String?

    @Option(name: .long, help: "PEM CA certificates that client certificates must chain to.")
    var tlsCa: String?

    @Option(name: .long, help: "Client certificates: none, optional or require (default none).")
    var tlsVerifyClients: String?

    @Option(name: .long, help: "Use the client certificate's common name as the MQTT user name: true or false.")
    var tlsCnAsUsername: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical (default info).")
    var logLevel: String?

    @Option(name: .long, help: "Event loop threads (default: one per core).")
    var threads: String?

    @Option(name: .long, help: "Seconds between checks whether memory freed after a spike goes back to the system, e.g. 10 or 1m; 0 for off (default 10; glibc only).")
    var memoryTrimInterval: String?

    @Flag(
        inversion: .prefixedNo,
        help: "Accept clients without credentials (default on, with a warning at start-up).")
    var allowAnonymous: Bool?

    @Option(name: .long, help: "Largest MQTT packet accepted, in bytes (default 1048576).")
    var maxPacketSize: String?

    @Option(name: .long, help: "Longest topic name or filter, in bytes (default 1024).")
    var maxTopicLength: String?

    @Option(name: .long, help: "Most levels in a topic name or filter (default 32).")
    var maxTopicLevels: String?

    @Option(name: .long, help: "Most subscriptions per session (default 100).")
    var maxSubscriptionsPerClient: String?

    @Option(name: .long, help: "Server Receive Maximum and outbound inflight window (default 32).")
    var maxInflight: String?

    @Option(name: .long, help: "QoS 1/2 messages queued per session, also while offline (default 1000).")
    var maxQueuedMessages: String?

    @Option(name: .long, help: "Bytes of QoS 1/2 messages queued and in flight per session (default 16777216).")
    var maxQueuedBytes: String?

    @Option(name: .long, help: "Bytes queued in all sessions together; when full, the largest queues lose their oldest messages first (default: a quarter of the memory).")
    var maxQueuedBytesTotal: String?

    @Option(name: .long, help: "Persistent sessions (session expiry above 0), connected or not (default 100000).")
    var maxSessions: String?

    @Option(name: .long, help: "Unflushed bytes per connection before QoS 0 messages to it are dropped and it is no longer read (default 1048576).")
    var maxOutboundBytes: String?

    @Option(name: .long, help: "Seconds a connection's output may stay above max-outbound-bytes before it is closed, 0 for never (default 30).")
    var writeStallTimeout: String?

    @Option(name: .long, help: "Retained messages kept, one per topic (default 100000).")
    var maxRetainedMessages: String?

    @Option(name: .long, help: "Queue QoS 0 messages for offline persistent sessions: true or false (default false).")
    var queueQos0Offline: String?

    @Option(name: .long, help: "Concurrent client connections (default 100000).")
    var maxConnections: String?

    @Option(name: .long, help: "Seconds a new socket has to send CONNECT (default 10).")
    var connectTimeout: String?

    @Option(name: .long, help: "Seconds an HTTP client has to send a complete request head, after connecting and after each response; then 408 (default 10).")
    var httpHeaderTimeout: String?

    @Option(name: .long, help: "Largest keep-alive in seconds, 0 for no limit (default 0).")
    var maxKeepalive: String?

    @Option(name: .long, help: "Topic aliases a client may use towards the server (default 64).")
    var topicAliasMaximum: String?

    @Option(name: .long, help: "Longest session expiry in seconds, also for 3.1.1 persistent sessions (default 604800).")
    var maxSessionExpiry: String?

    @Option(name: .long, help: ArgumentHelp(
        "Room policy: a topic filter, then batch_ms=N, rate_limit=N/s, overflow=drop_newest|drop_oldest|sample, client_rate_limit=N/s; repeatable.",
        valueName: "'FILTER key=value ...'"))
    var room: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "Access key for signature and token credentials; ROLE is device or cloud; repeatable.",
        valueName: "ID:SECRET:ROLE"))
    var accessKey: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "ACL rule (first match wins; %c client ID, %u user name, %g group); repeatable.",
        valueName: "'allow|deny publish|subscribe|all FILTER [all|anonymous|device|cloud]'"))
    var acl: [String] = []

    @Option(name: .long, help: "When no ACL rule matches: allow or deny (default allow).")
    var aclDefault: String?

    @Option(name: .long, help: "Publish client connect/disconnect events on $SYS/clients/...: true or false (default true).")
    var statusEvents: String?

    @Option(name: .long, help: "Instance ID that credentials must name (default: any).")
    var instanceId: String?

    @Option(name: .long, help: "Rooms (topics under a room policy) tracked at most (default 100000).")
    var maxRooms: String?

    @Option(name: .long, help: "When a connected client's session queue is full: drop or disconnect (default drop).")
    var slowConsumerPolicy: String?

    @Option(name: .long, help: "Mosquitto-style password file (user:$7$... hashes; make one with swiftlet passwd or mosquitto_passwd).")
    var passwordFile: String?

    @Option(name: .long, help: "How long before a token expires its client is told on $SYS/tokenExpireNotice, e.g. 300s or 5m (default 300s).")
    var tokenExpireNotice: String?

    @Option(name: .long, help: "Revoked tokens remembered until they expire (default 100000).")
    var maxRevokedTokens: String?

    @Option(name: .long, help: "Authentication modes of the mqtt listener: all (default), or a list of anonymous,password,signature,device-credential,token,certificate.")
    var mqttAuth: String?

    @Option(name: .long, help: "Authentication modes of the mqtts listener (as --mqtt-auth).")
    var mqttsAuth: String?

    @Option(name: .long, help: "Authentication modes of MQTT over WebSocket on the http listener (as --mqtt-auth).")
    var httpAuth: String?

    @Option(name: .long, help: "Authentication modes of MQTT over WebSocket on the https listener (as --mqtt-auth).")
    var httpsAuth: String?

    /// Defaults, then the config file, then flags.
    func resolve() throws(ConfigurationError) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        if let config { try configuration.apply(fileAt: config) }
        let flags: [(String, String?)] = [
            ("mqtt", mqtt), ("http", http), ("mqtts", mqtts), ("https", https), ("admin", admin),
            ("admin-token", adminToken), ("ws-path", wsPath),
            ("web-root", webRoot), ("ws-deflate", wsDeflate), ("ws-deflate-min-size", wsDeflateMinSize),
            ("tls-cert", tlsCert), ("tls-key", tlsKey), ("tls-ca", tlsCa), ("tls-verify-clients", tlsVerifyClients),
            ("tls-cn-as-username", tlsCnAsUsername), ("log-level", logLevel), ("threads", threads), ("memory-trim-interval", memoryTrimInterval), ("allow-anonymous", allowAnonymous.map { String($0) }),
            ("max-packet-size", maxPacketSize), ("max-topic-length", maxTopicLength),
            ("max-topic-levels", maxTopicLevels), ("max-subscriptions-per-client", maxSubscriptionsPerClient),
            ("max-inflight", maxInflight), ("max-queued-messages", maxQueuedMessages),
            ("max-queued-bytes", maxQueuedBytes), ("max-queued-bytes-total", maxQueuedBytesTotal), ("max-sessions", maxSessions),
            ("max-outbound-bytes", maxOutboundBytes), ("write-stall-timeout", writeStallTimeout), ("max-retained-messages", maxRetainedMessages), ("queue-qos0-offline", queueQos0Offline), ("max-connections", maxConnections),
            ("connect-timeout", connectTimeout), ("http-header-timeout", httpHeaderTimeout), ("max-keepalive", maxKeepalive),
            ("topic-alias-maximum", topicAliasMaximum), ("max-session-expiry", maxSessionExpiry),
            ("max-rooms", maxRooms), ("slow-consumer-policy", slowConsumerPolicy), ("instance-id", instanceId), ("status-events", statusEvents), ("acl-default", aclDefault),
            ("password-file", passwordFile), ("token-expire-notice", tokenExpireNotice), ("max-revoked-tokens", maxRevokedTokens),
            ("mqtt-auth", mqttAuth), ("mqtts-auth", mqttsAuth), ("http-auth", httpAuth), ("https-auth", httpsAuth),
        ] + room.map { ("room", $0) } + accessKey.map { ("access-key", $0) } + acl.map { ("acl", $0) }
        for case (let key, let value?) in flags {
            try configuration.apply(key: key, value: value)
        }
        return configuration
    }
}

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the broker.",
        discussion: """
            Starts the listeners and runs until SIGINT or SIGTERM. Every listener logs
            'listening <name> on HOST:PORT' with the real port once it is bound.

            The config file takes the flag names without dashes as keys, e.g.:

                mqtt: 127.0.0.1:1883
                max-packet-size: 65536
            """
    )

    @OptionGroup var options: ServerOptions

    func run() throws {
        // Before any thread exists, so that every thread inherits the blocked signals.
        BrokerServer.blockTerminationSignals()
        let configuration: ServerConfiguration
        do {
            configuration = try options.resolve()
        } catch {
            throw ValidationError(error.description)
        }
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "swiftlet")
        let server = BrokerServer(configuration: configuration, logger: logger)
        try server.run()
    }
}

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a config file without starting anything."
    )

    @Argument(help: "The YAML config file to check.")
    var file: String

    func run() throws {
        var configuration = ServerConfiguration()
        do {
            try configuration.apply(fileAt: file)
        } catch {
            throw ValidationError(error.description)
        }
        do {
            _ = try configuration.tlsSettings()
        } catch {
            throw ValidationError(error.description)
        }
        let mqtt = configuration.mqtt.map { "\($0)" } ?? "off"
        let http = configuration.http.map { "\($0)" } ?? "off"
        print("\(file): OK (mqtt \(mqtt), http \(http), log level \(configuration.logLevel))")
    }
}
