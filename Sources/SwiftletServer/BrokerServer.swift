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
import NIOPosix
import SwiftletAuth
import SwiftletBroker
import SwiftletWebSocket
import Synchronization

/// Runs the broker and its listeners until SIGINT or SIGTERM, then shuts down cleanly: MQTT 5
/// clients are sent DISCONNECT 0x8B (server shutting down) before their sockets close.
package final class BrokerServer: Sendable {
    package let configuration: ServerConfiguration
    package let broker: Broker
    private let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    /// Gives memory freed after a spike back to the system; nil when off or not on glibc.
    private let memoryTrimmer: MemoryTrimmer?
    private let listeners = Mutex<[(name: String, channel: any Channel)]>([])
    private let shutdownStarted = Atomic<Bool>(false)
    private let loopsStopped = Atomic<Bool>(false)
    private let stopped: EventLoopPromise<Void>

    package init(configuration: ServerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads)
        var brokerConfiguration = configuration.broker
        // Each loop gets its share of the queue budget (QueueBudget).
        brokerConfiguration.eventLoopCount = configuration.threads
        self.broker = Broker(configuration: brokerConfiguration, logger: logger)
        self.memoryTrimmer = MemoryTrimmer.forThisProcess(
            intervalSeconds: configuration.memoryTrimInterval, eventLoop: group.any(), logger: logger)
        self.stopped = group.any().makePromise()
    }

    deinit {
        // A server dropped without a shutdown (say, start() failed to bind) must not leave its
        // promise dangling.
        if !shutdownStarted.load(ordering: .relaxed) { stopped.succeed() }
    }

    /// Binds every configured listener; each logs `listening NAME on HOST:PORT` with its real port.
    package func start() throws {
        if configuration.broker.allowAnonymous {
            logger.warning(
                "ANONYMOUS ACCESS IS ON: any client may connect without credentials. Fine for development; turn it off with --no-allow-anonymous (allow-anonymous: false) in production."
            )
        }
        if let passwords = configuration.broker.passwordFile {
            // The path and the number of users; never a hash.
            logger.notice(
                "password file \(configuration.passwordFilePath ?? "(inline)"): \(passwords.count) users")
        }
        if let memoryTrimmer {
            memoryTrimmer.start()
            logger.debug(
                "memory trimmer: every \(configuration.memoryTrimInterval) s, malloc_trim when malloc holds \(MemoryTrimmer.defaultThreshold >> 20) MiB free and the resident size grew as much"
            )
        } else if configuration.memoryTrimInterval > 0 && !MemoryTrimmer.isSupported {
            logger.info("memory-trim-interval has no effect here: malloc is not glibc's")
        }
        let tls = try configuration.tlsSettings()
        let tlsContext = try tls?.makeContext()
        let commonNameAsUsername = tls?.commonNameAsUsername ?? false
        if let address = configuration.mqtt {
            try listen("mqtt", address) {
                MQTTListener.bind(
                    address: address, tls: nil, commonNameAsUsername: false,
                    authenticationModes: configuration.authenticationModes(of: "mqtt"), broker: broker,
                    group: group, logger: logger)
            }
        }
        if let address = configuration.http {
            let settings = httpSettings(listener: "http")
            try listen("http", address) {
                HTTPListener.bind(
                    address: address, settings: settings, tls: nil, broker: broker, group: group, logger: logger)
            }
        }
        if let address = configuration.admin {
            let api = AdminAPI(
                broker: broker, adminToken: configuration.adminToken, memoryTrimmer: memoryTrimmer, logger: logger)
            if !api.authenticator.hasCredentials {
                logger.warning(
                    "the admin API has no credentials: /api/v1 answers 401 to every request until admin-token or an access key of role cloud is configured"
                )
            }
            var adminHTTP = AdminHTTPHandler.Configuration()
            adminHTTP.requestHeadTimeout = .seconds(Int64(configuration.httpHeaderTimeout))
            try listen("admin", address) {
                AdminListener.bind(
                    address: address, api: api, configuration: adminHTTP, group: group, logger: logger)
            }
        } else {
            logger.info("the admin API is off (admin: off)")
        }
        guard let tlsContext else {
            logger.info("no tls-cert/tls-key configured: the mqtts and https listeners are off")
            return
        }
        if let address = configuration.mqtts {
            try listen("mqtts", address) {
                MQTTListener.bind(
                    address: address, tls: tlsContext, commonNameAsUsername: commonNameAsUsername,
                    authenticationModes: configuration.authenticationModes(of: "mqtts"), broker: broker,
                    group: group, logger: logger)
            }
        }
        if let address = configuration.https {
            let settings = httpSettings(listener: "https")
            try listen("https", address) {
                HTTPListener.bind(
                    address: address, settings: settings, tls: tlsContext, broker: broker, group: group,
                    logger: logger)
            }
        }
    }

    /// Binds one listener and logs `listening NAME on HOST:PORT` with the port it really got.
    private func listen(_ name: String, _ address: ListenAddress, bind: () -> EventLoopFuture<any Channel>) throws {
        let channel = try bind().wait()
        listeners.withLock { $0.append((name, channel)) }
        let bound = ListenAddress(host: address.host, port: channel.localAddress?.port ?? address.port)
        logger.notice("listening \(name) on \(bound)")
    }

    private func httpSettings(listener: String) -> HTTPListener.Settings {
        var deflate = PerMessageDeflateNegotiation.Configuration()
        deflate.isEnabled = configuration.wsDeflate
        deflate.minimumMessageSizeToCompress = configuration.wsDeflateMinimumSize
        deflate.maximumDecompressedMessageSize = broker.configuration.maxPacketSize + 1024
        var staticFiles = StaticFileHandler.Configuration(root: configuration.webRoot)
        staticFiles.requestHeadTimeout = .seconds(Int64(configuration.httpHeaderTimeout))
        return HTTPListener.Settings(
            handshake: WebSocketHandshake.Configuration(path: configuration.wsPath),
            deflate: deflate,
            staticFiles: staticFiles,
            authenticationModes: configuration.authenticationModes(of: listener))
    }

    /// The ports the listeners are bound to, by name (`mqtt`, `http`, `admin`, `mqtts`, `https`).
    package var boundPorts: [String: Int] {
        listeners.withLock { listeners in
            var ports: [String: Int] = [:]
            for (name, channel) in listeners {
                if let port = channel.localAddress?.port { ports[name] = port }
            }
            return ports
        }
    }

    /// Stops accepting and tells connected clients (DISCONNECT 0x8B for MQTT 5). Safe to call more
    /// than once; the event loops keep running until ``syncShutdown()``, so sockets that never sent
    /// CONNECT close only then.
    package func shutdown() -> EventLoopFuture<Void> {
        guard !shutdownStarted.exchange(true, ordering: .relaxed) else { return stopped.futureResult }
        logger.notice("shutting down")
        let channels = listeners.withLock { $0.map(\.channel) }
        let closed = channels.map { $0.close() } + (memoryTrimmer.map { [$0.stop()] } ?? [])
        let loop = group.any()
        EventLoopFuture.andAllComplete(closed, on: loop)
            .flatMap { self.broker.shutdown(eventLoopGroup: self.group) }
            .whenComplete { _ in
                let counters = self.broker.stats.snapshot.sorted { $0.key < $1.key }
                    .map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                self.logger.notice("final stats: \(counters)")
                self.stopped.succeed()
            }
        return stopped.futureResult
    }

    /// Shuts down (see ``shutdown()``), waits for it, then stops the event loop threads.
    /// For tests and embedding; `run()` does the same when a signal arrives.
    package func syncShutdown() throws {
        // Once the loops are gone, the shutdown future can never complete: only the first call waits.
        guard !loopsStopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try shutdown().wait()
        try group.syncShutdownGracefully()
    }

    /// Blocks SIGINT and SIGTERM in the calling thread and every thread started after it, so that
    /// ``run()`` takes them reliably. Call it first thing in `main`, before creating the server.
    package static func blockTerminationSignals() {
        TerminationSignals.block()
    }

    /// Starts, then blocks until a shutdown (by signal or `shutdown()`) has completed.
    package func run() throws {
        // Signal handling is in place before the listening line is logged: a supervisor (or a
        // test) that signals right after it must not find the signal lost. The signals were
        // blocked in every thread by ``blockTerminationSignals()``.
        TerminationSignals.handle { [self] number in
            self.logger.notice("received signal \(number)")
            _ = self.shutdown()
        }
        do {
            try start()
        } catch {
            try? syncShutdown()
            throw error
        }
        // Wait for a signal (or a `shutdown()` call) to start the shutdown; then stop the loops,
        // which closes whatever is left (sockets that never sent CONNECT).
        try stopped.futureResult.wait()
        try syncShutdown()
        logger.notice("stopped")
    }
}
