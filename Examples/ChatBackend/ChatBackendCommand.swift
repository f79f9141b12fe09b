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
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SwiftletCloud

/// The demo page's chat backend, and the cloud SDK's worked example (docs/cloud-sdk.md, docs/web-demo.md).
///
/// - Issues tokens to demo-page users over HTTP (`POST /api/token`) through the admin API.
/// - Consumes `chat-in/#` in clustering mode: run several and each message is relayed by one of them, and
///   redelivered to another if that one dies before acknowledging. Each message is word-filtered, kept as
///   history in SQLite and published to `chat/{room}`.
/// - Keeps the online list from status events and publishes it, retained, on `presence/online`, and the
///   viewers of each live room (from the admin API) on `presence/viewers`.
/// - Posts system announcements.
@main
struct ChatBackendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat-backend",
        abstract: "The Swiftlet demo page's chat backend: tokens, moderated chat rooms with history, presence.",
        discussion: """
            Needs a broker with a cloud access key (for this backend), a device access key (signs the pages'
            tokens) and the admin API on. scripts/demo.sh starts both with a matching configuration.
            The secret can come from the environment variable SWIFTLET_SECRET_KEY instead of --secret-key.
            """
    )

    @Option(help: "The broker's MQTT address, HOST:PORT.")
    var broker = "127.0.0.1:1883"

    @Option(help: "The broker's admin API address, HOST:PORT.")
    var admin = "127.0.0.1:18083"

    @Option(help: "This backend's access key ID (role cloud).")
    var accessKeyId: String

    @Option(help: "The access key's secret (or SWIFTLET_SECRET_KEY).")
    var secretKey: String?

    @Option(help: "The broker's instance ID.")
    var instanceId: String

    @Option(help: "The access key (role device) the pages' tokens are issued for.")
    var deviceAccessKeyId: String

    @Option(help: "Where the pages reach this backend, HOST:PORT.")
    var listen = "127.0.0.1:8090"

    @Option(help: "The SQLite database of chat history.")
    var database = "chat-history.sqlite"

    @Option(help: "Messages kept per room.")
    var history = 50

    @Option(help: "A file of banned words, one per line.")
    var bannedWords: String?

    @Option(help: "The consumer group (several backends in one group share the rooms).")
    var group = "GID_chatbackend"

    @Option(help: "Seconds a page's token lasts (60 to 2592000).")
    var tokenLifetime = 3600

    @Option(help: "A system announcement, posted at start and then every --announce-every seconds.")
    var announce: String?

    @Option(help: "The room announcements go to.")
    var announceRoom = "lobby"

    @Option(help: "Seconds between announcements; 0 posts once.")
    var announceEvery = 0

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func validate() throws {
        guard (1...10_000).contains(history) else { throw ValidationError("--history must be 1 to 10000") }
        guard (60...2_592_000).contains(tokenLifetime) else { throw ValidationError("--token-lifetime must be 60 to 2592000") }
        guard announceEvery >= 0 else { throw ValidationError("--announce-every must not be negative") }
        guard ChatService.isRoomName(announceRoom) else { throw ValidationError("--announce-room is not a room name") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        _ = try Self.address(broker, "--broker")
        _ = try Self.address(admin, "--admin")
        _ = try Self.address(listen, "--listen")
    }

    func run() async throws {
        let logger = {
            var logger = Logger(label: "chat-backend")
            logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            return logger
        }()
        guard let secret = secretKey ?? ProcessInfo.processInfo.environment["SWIFTLET_SECRET_KEY"] else {
            throw ValidationError("give the secret with --secret-key or SWIFTLET_SECRET_KEY")
        }
        let (brokerHost, brokerPort) = try Self.address(broker, "--broker")
        let (adminHost, adminPort) = try Self.address(admin, "--admin")
        let (listenHost, listenPort) = try Self.address(listen, "--listen")

        let filter = WordFilter(fileContents: try bannedWords.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? "")
        let store = try HistoryStore(path: database, limit: history)

        var configuration = CloudConfiguration(
            host: brokerHost, port: brokerPort, accessKeyID: accessKeyId, secretKey: secret, instanceID: instanceId,
            clientID: "\(group)@@@\(ProcessInfo.processInfo.processIdentifier)")
        configuration.adminHost = adminHost
        configuration.adminPort = adminPort
        let client = CloudClient(configuration: configuration)
        try await client.connect()
        logger.notice("connected to the broker", metadata: ["broker": "\(broker)", "group": "\(group)"])

        let service = ChatService(history: store, filter: filter, outbound: outbound(client))
        let server = try await Self.startHTTP(host: listenHost, port: listenPort, service: service)
        logger.notice("listening http on \(server.localAddress.map(Self.describe) ?? listen)")

        let group = self.group
        let announcement = announce.map { (text: $0, room: announceRoom, every: announceEvery) }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await Self.relayChat(client, group, service, logger) }
            tasks.addTask { try await Self.followPresence(client, group, service, logger) }
            tasks.addTask { try await Self.countViewers(client, service, logger) }
            if let announcement {
                tasks.addTask { try await Self.postAnnouncements(announcement, service, logger) }
            }
            try await tasks.next()
            tasks.cancelAll()
        }
    }

    /// Issues the pages' credentials through the admin API and publishes over MQTT.
    private func outbound(_ client: CloudClient) -> ChatService.Outbound {
        let deviceKey = deviceAccessKeyId
        let instance = instanceId
        let lifetime = Duration.seconds(tokenLifetime)
        return ChatService.Outbound(
            issueCredentials: { clientID in
                // Two tokens: a page reads rooms, live comments and the online list, and writes only what the
                // backend relays (chat-in), live comments and whispers. Its own p2p topic needs no grant: the
                // broker delivers it to the page without a subscription (DESIGN §5).
                let read = try await client.applyToken(
                    filters: ["chat/+", "live/+", "presence/+"], actions: .read, expiresIn: lifetime,
                    accessKeyID: deviceKey)
                let write = try await client.applyToken(
                    filters: ["chat-in/+", "live/+", "chat/p2p/+"], actions: .write, expiresIn: lifetime,
                    accessKeyID: deviceKey)
                return ChatService.Credentials(
                    username: "Token|\(deviceKey)|\(instance)", password: "R|\(read.token)|W|\(write.token)",
                    expiresAt: min(read.expiresAt, write.expiresAt))
            },
            publish: { topic, payload, retain in
                try await client.send(topic: topic, payload: ByteBuffer(bytes: payload), qos: .atLeastOnce, retain: retain)
            }
        )
    }

    // MARK: - Loops

    /// At least once: a message is acknowledged only after it is stored and relayed, so a crash in between
    /// hands it to another member of the group (or back to this one after a reconnect).
    private static func relayChat(
        _ client: CloudClient, _ group: String, _ service: ChatService, _ logger: Logger
    ) async throws {
        for await message in try await client.consume(parentTopic: "chat-in", group: group, mode: .clustering) {
            let room = String(message.topic.dropFirst("chat-in/".count))
            do {
                let relayed = try await service.relay(room: room, payload: Data(message.payload.readableBytesView), publisher: message.publisherClientID)
                if relayed == nil {
                    logger.info("dropped a message that is not a chat message", metadata: ["topic": "\(message.topic)"])
                }
                message.ack()
            } catch {
                // Not acknowledged: the broker hands it to another member when this connection ends (or to this
                // one after a reconnect). Until then it holds one of the 64 receive slots, so a backend whose store
                // keeps failing stops taking messages: back-pressure rather than loss.
                logger.warning(
                    "relay failed; the message stays unacknowledged",
                    metadata: ["topic": "\(message.topic)", "error": "\(error)"])
            }
        }
    }

    private static func followPresence(
        _ client: CloudClient, _ group: String, _ service: ChatService, _ logger: Logger
    ) async throws {
        for await event in try await client.statusEvents(group: group) {
            do {
                try await service.statusEvent(clientID: event.clientID, channel: event.channelID, connected: event.isConnect)
            } catch {
                logger.warning("could not publish the online list", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Every 3 seconds, the subscribers of each `live/{room}` from the admin API, for the page's
    /// viewer badge. (Only the broker knows who subscribes; one request per interval, whatever the
    /// number of viewers.)
    private static func countViewers(_ client: CloudClient, _ service: ChatService, _ logger: Logger) async throws {
        while !Task.isCancelled {
            do {
                var counts: [String: Int] = [:]
                for room in try await client.rooms() where room.topic.hasPrefix("live/") {
                    let name = String(room.topic.dropFirst("live/".count))
                    if ChatService.isRoomName(name) { counts[name] = room.subscribers }
                }
                try await service.viewers(counts)
            } catch {
                logger.debug("viewer count failed", metadata: ["error": "\(error)"])
            }
            try await Task.sleep(for: .seconds(3))
        }
    }

    private static func postAnnouncements(
        _ announcement: (text: String, room: String, every: Int), _ service: ChatService, _ logger: Logger
    ) async throws {
        repeat {
            do {
                try await service.announce(announcement.text, room: announcement.room)
            } catch {
                logger.warning("announcement failed", metadata: ["error": "\(error)"])
            }
            guard announcement.every > 0 else { return }
            try await Task.sleep(for: .seconds(announcement.every))
        } while !Task.isCancelled
    }

    // MARK: - HTTP

    private static func startHTTP(host: String, port: Int, service: ChatService) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(BackendHTTPHandler { await service.handle($0) })
                }
            }
            .bind(host: host, port: port)
            .get()
    }

    private static func address(_ text: String, _ option: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port), colon > text.startIndex
        else { throw ValidationError("\(option) must be HOST:PORT, not \(text)") }
        return (String(text[..<colon]), port)
    }

    private static func describe(_ address: SocketAddress) -> String {
        "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
    }
}
