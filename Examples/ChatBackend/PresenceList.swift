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
/// Who is online, from the broker's status events (docs/status-events.md).
///
/// Events of one client can arrive out of order (a consumer group splits them across members,
/// and a reconnect's connect may overtake the old connection's disconnect). Each event carries
/// the channel ID of its connection, `{startMillis}-{n}`: a disconnect only removes the client if
/// it ends the connection that is current, and a connect of an older channel never replaces a
/// newer one.
struct PresenceList: Sendable {
    struct Channel: Comparable, Sendable {
        var startMillis: Int64
        var sequence: Int64

        /// Parses `{startMillis}-{n}`; nil for anything else.
        init?(_ text: String) {
            let parts = text.split(separator: "-")
            guard parts.count == 2, let start = Int64(parts[0]), let sequence = Int64(parts[1]) else { return nil }
            self.startMillis = start
            self.sequence = sequence
        }

        static func < (lhs: Channel, rhs: Channel) -> Bool {
            (lhs.startMillis, lhs.sequence) < (rhs.startMillis, rhs.sequence)
        }
    }

    /// Disconnected channels remembered to ignore their late events.
    static let maximumEnded = 10_000

    private var online: [String: Channel] = [:]
    private var ended: [String: Channel] = [:]
    /// Nicknames the backend learned when it issued tokens, by client ID.
    private(set) var nicknames: [String: String] = [:]

    mutating func setNickname(_ nick: String, for clientID: String) {
        nicknames[clientID] = nick
    }

    /// Drops the nicknames of client IDs the backend no longer remembers (bounded memory).
    mutating func forgetNicknames(of clientIDs: Set<String>) {
        for id in clientIDs where online[id] == nil { nicknames[id] = nil }
    }

    /// Applies one event; returns true if the online list changed.
    @discardableResult
    mutating func apply(clientID: String, channel: String, connected: Bool) -> Bool {
        guard let channel = Channel(channel) else { return false }
        if connected {
            if let current = online[clientID], current >= channel { return false }
            if let last = ended[clientID], last >= channel { return false }  // its disconnect came first
            online[clientID] = channel
            ended[clientID] = nil
            return true
        }
        if let last = ended[clientID], last >= channel { return false }
        ended[clientID] = channel
        if ended.count > Self.maximumEnded {
            // Bounded memory: forget the older half of the ended channels. A connect event delayed
            // past that many later disconnects could then wrongly show a client online until its
            // next event; at this example's scale that does not happen.
            let cutoff = ended.values.sorted()[ended.count / 2]
            ended = ended.filter { $0.value >= cutoff }
        }
        guard let current = online[clientID], current <= channel else { return false }
        online[clientID] = nil
        return true
    }

    /// The online clients the page shows: those with a nickname (people on the demo page), by nickname.
    var users: [(clientID: String, nick: String)] {
        online.keys.compactMap { id in nicknames[id].map { (id, $0) } }.sorted { ($0.nick, $0.clientID) < ($1.nick, $1.clientID) }
    }
}
