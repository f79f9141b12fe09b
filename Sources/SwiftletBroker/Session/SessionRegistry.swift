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
import Synchronization

/// Which handle holds the session of each client ID (MQTT 5 §4.1), shared by every loop.
///
/// Split into ``shardCount`` shards by a hash of the client ID, each behind its own mutex held for
/// one lookup or update: connects and point-to-point messages of different clients rarely wait for
/// each other. Everything that must be atomic concerns one client ID, so one shard.
final class SessionRegistry: Sendable {
    static let shardCount = 16
    private let shards: [Shard]

    private final class Shard: Sendable {
        let sessions = Mutex([String: SessionHandle]())
    }

    init() {
        shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    private func shard(_ clientID: String) -> Shard {
        shards[shardIndex(of: clientID, count: Self.shardCount)]
    }

    /// Runs `body` on the entry of `clientID` under its shard's lock.
    func withEntry<Result>(_ clientID: String, _ body: (inout SessionHandle?) -> Result) -> Result {
        shard(clientID).sessions.withLock { sessions in body(&sessions[clientID]) }
    }

    /// The session registered for `clientID`, if any.
    func session(_ clientID: String) -> SessionHandle? {
        withEntry(clientID) { $0 }
    }

    /// Forgets `handle` if it is still the one registered for its client ID.
    func remove(_ handle: SessionHandle) {
        withEntry(handle.clientID) { entry in
            if entry === handle { entry = nil }
        }
    }

    /// Every registered session, for the rare broker-wide actions (admin queries, token
    /// revocation, shutdown); each shard is read at its own moment.
    var all: [SessionHandle] {
        shards.flatMap { shard in shard.sessions.withLock { Array($0.values) } }
    }
}

/// Which of `count` shards `key` lives in: a hash of the key (seeded per process, so only for
/// in-memory sharding), the same for the same key within a process.
func shardIndex(of key: some Hashable, count: Int) -> Int {
    Int(UInt(bitPattern: key.hashValue) % UInt(count))
}
