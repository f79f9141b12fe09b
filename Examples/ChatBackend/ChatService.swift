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
import NIOHTTP1

/// What the chat backend does, apart from how it talks: it issues tokens to demo-page users,
/// relays their chat messages into the rooms after the word filter (keeping history), and keeps
/// the online list from status events.
///
/// The MQTT and admin-API side is passed in as closures (``Outbound``), so this type is tested
/// without a broker and the wiring stays in one place (`ChatBackendCommand`).
actor ChatService {
    /// The credentials a page connects with (token mode, docs/authentication.md).
    struct Credentials: Codable, Sendable {
        var username: String
        var password: String
        var expiresAt: Int64
    }

    struct Outbound: Sendable {
        /// Issues a token pair for a page's client ID.
        var issueCredentials: @Sendable (_ clientID: String) async throws -> Credentials
        /// Publishes to a topic (QoS 1).
        var publish: @Sendable (_ topic: String, _ payload: Data, _ retain: Bool) async throws -> Void
    }

    let history: HistoryStore
    let filter: WordFilter
    let outbound: Outbound
    private(set) var presence = PresenceList()
    /// The per-tab secret each client ID was first issued a token with. The page makes both up;
    /// the first request for a client ID binds it, so nobody else can get a token for it (and
    /// take over its session, speak in its name or read its whispers).
    private var owners: [String: String] = [:]
    private var ownerOrder: [String] = []
    /// Client IDs remembered at most; the oldest are forgotten first.
    static let maximumClients = 10_000
    private var lastViewers: [String: Int]?
    private(set) var relayed = 0
    private(set) var masked = 0

    init(history: HistoryStore, filter: WordFilter, outbound: Outbound) {
        self.history = history
        self.filter = filter
        self.outbound = outbound
    }

    // MARK: - HTTP

    func handle(_ request: BackendRequest) async -> BackendResponse {
        switch (request.method, request.path) {
        case (.GET, "/api/info"):
            return BackendResponse(status: .ok, json: Self.json(Info(historyLimit: history.limit)))
        case (.POST, "/api/token"):
            guard let clientID = request.query["clientId"], Self.isPageClientID(clientID) else {
                return .error(.badRequest, "clientId must be GID_demo@@@ followed by 1 to 40 letters, digits or -")
            }
            guard let nick = request.query["nick"].flatMap(Self.validNickname) else {
                return .error(.badRequest, "nick must be 1 to 24 printable characters")
            }
            guard let secret = request.clientSecret, (16...128).contains(secret.utf8.count) else {
                return .error(.badRequest, "X-Client-Secret must be 16 to 128 characters")
            }
            guard claim(clientID, secret: secret) else {
                return .error(.forbidden, "this client ID belongs to another page")
            }
            do {
                let credentials = try await outbound.issueCredentials(clientID)
                presence.setNickname(nick, for: clientID)
                return BackendResponse(status: .ok, json: Self.json(credentials))
            } catch {
                return .error(.badGateway, "the broker did not issue a token: \(error)")
            }
        case (.GET, "/api/history"):
            guard let room = request.query["room"], Self.isRoomName(room) else {
                return .error(.badRequest, "room must be 1 to 32 letters, digits, _ or -")
            }
            do {
                return BackendResponse(status: .ok, json: Self.json(History(messages: try await history.recent(room: room))))
            } catch {
                return .error(.internalServerError, "history unavailable")
            }
        case (_, "/api/info"), (_, "/api/token"), (_, "/api/history"):
            return .error(.methodNotAllowed, "method not allowed")
        default:
            return .error(.notFound, "no such route")
        }
    }

    /// Binds `clientID` to `secret` on first use; true if the secret is the one it is bound to.
    private func claim(_ clientID: String, secret: String) -> Bool {
        if let owner = owners[clientID] { return owner == secret }
        owners[clientID] = secret
        ownerOrder.append(clientID)
        if ownerOrder.count > Self.maximumClients {
            // Bounded memory: forget the oldest tenth at once, so trimming is rare.
            let forgotten = ownerOrder.prefix(Self.maximumClients / 10)
            for id in forgotten { owners[id] = nil }
            ownerOrder.removeFirst(forgotten.count)
            presence.forgetNicknames(of: Set(forgotten))
        }
        return true
    }

    // MARK: - Relay

    /// A message a page sent to `chat-in/{room}`: filtered, stored, published to `chat/{room}`.
    ///
    /// - Parameters:
    ///   - publisher: The sender's client ID as the broker reported it (the `clientId` user
    ///     property of cloud deliveries); it replaces what the message claims.
    /// - Returns: The message as relayed, or nil if it was not a chat message.
    @discardableResult
    func relay(room: String, payload: Data, publisher: String?) async throws -> ChatMessage? {
        guard Self.isRoomName(room), var message = try? JSONDecoder().decode(ChatMessage.self, from: payload) else {
            return nil
        }
        if let publisher { message.from = publisher }
        message.nick = presence.nicknames[message.from] ?? String(message.nick.prefix(24))
        message.text = String(message.text.prefix(ChatMessage.maximumTextLength))
        let (text, wasMasked) = filter.apply(to: message.text)
        message.text = text
        if wasMasked { masked += 1 }
        message.ts = Int64(Date().timeIntervalSince1970 * 1000)
        try await history.append(message, room: room)
        try await outbound.publish("chat/\(room)", Data(Self.json(message).utf8), false)
        relayed += 1
        return message
    }

    /// A status event (docs/status-events.md); republishes `presence/online` when the list changed.
    func statusEvent(clientID: String, channel: String, connected: Bool) async throws {
        guard presence.apply(clientID: clientID, channel: channel, connected: connected) else { return }
        try await publishPresence()
    }

    /// The viewers of each live room (`live/{room}` subscribers, from the admin API's room list):
    /// published retained on `presence/viewers` when it changed. Returns whether it was published.
    @discardableResult
    func viewers(_ counts: [String: Int]) async throws -> Bool {
        guard counts != lastViewers else { return false }
        lastViewers = counts
        try await outbound.publish("presence/viewers", Data(Self.json(Viewers(rooms: counts)).utf8), true)
        return true
    }

    /// Posts a system announcement into a room.
    func announce(_ text: String, room: String) async throws {
        let message = ChatMessage(id: UUID().uuidString, from: "system", nick: "📣 system", text: text,
                                  ts: Int64(Date().timeIntervalSince1970 * 1000))
        try await history.append(message, room: room)
        try await outbound.publish("chat/\(room)", Data(Self.json(message).utf8), false)
    }

    private func publishPresence() async throws {
        let users = presence.users.map { Presence.User(clientId: $0.clientID, nick: $0.nick) }
        // Retained, so a page that subscribes later gets the current list at once [MQTT-3.3.1-6].
        try await outbound.publish("presence/online", Data(Self.json(Presence(users: users)).utf8), true)
    }

    // MARK: - Validation and JSON

    static func isRoomName(_ room: String) -> Bool {
        (1...32).contains(room.utf8.count) && room.utf8.allSatisfy { isWordByte($0) }
    }

    static func isPageClientID(_ clientID: String) -> Bool {
        let prefix = "GID_demo@@@"
        guard clientID.hasPrefix(prefix) else { return false }
        let device = clientID.utf8.dropFirst(prefix.utf8.count)
        return (1...40).contains(device.count) && device.allSatisfy { isWordByte($0) && $0 != UInt8(ascii: "_") }
    }

    static func validNickname(_ nick: String) -> String? {
        let trimmed = nick.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...24).contains(trimmed.count),
              !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return nil }
        return trimmed
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    private struct Info: Codable { var service = "swiftlet chat-backend"; var historyLimit: Int }
    private struct History: Codable { var messages: [ChatMessage] }
    struct Viewers: Codable, Sendable { var rooms: [String: Int] }
    struct Presence: Codable, Sendable {
        struct User: Codable, Sendable { var clientId: String; var nick: String }
        var users: [User]
    }

    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
