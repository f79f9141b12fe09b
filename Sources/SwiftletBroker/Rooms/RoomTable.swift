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
import NIOCore
import SwiftletMQTT
import Synchronization

/// The rooms that room policies govern (DESIGN §4.5, §5): for each topic under a policy, its
/// counters, its pending batch and its rate ceiling.
///
/// Shared by every loop. The rooms are spread over ``shardCount`` shards by a hash of the topic,
/// each behind its own mutex held for an admission (a dictionary lookup and an append) or for
/// handing a flushed batch to the router: publishes into different rooms rarely wait for each
/// other, and one room's windows still leave one at a time, in order. The policies are fixed at
/// start-up, so finding a topic's policy takes no lock.
package final class RoomTable: Sendable {
    package let policies: [RoomPolicy]
    /// Rooms tracked at most; idle rooms are forgotten past it (their counters restart). Each
    /// shard holds its share of it.
    package let maxRooms: Int
    static let shardCount = 16
    private let shards: [Shard]
    private let maxRoomsPerShard: Int

    private struct Rooms {
        var entries: [String: Entry] = [:]
        var random: SplitMix64
    }

    private struct Entry {
        let counters: RoomCounters
        let policy: RoomPolicy
        var batch: RoomBatch<RoutedMessage>?
        var ceiling: RateLimiter?
        var flushScheduled = false

        mutating func withBatch(_ body: (inout RoomBatch<RoutedMessage>, inout Bool) -> Void) {
            if batch == nil { batch = RoomBatch(capacity: policy.windowCapacity, overflow: policy.overflow) }
            body(&batch!, &flushScheduled)
        }
    }

    /// Whether any policy limits the publish rate per client: when none does, the publish path
    /// skips the policy lookup.
    package let hasClientRateLimits: Bool

    package init(policies: [RoomPolicy], maxRooms: Int = 100_000) {
        self.policies = policies
        self.hasClientRateLimits = policies.contains { $0.clientRateLimit != nil }
        self.maxRooms = maxRooms
        self.maxRoomsPerShard = max(1, (maxRooms + Self.shardCount - 1) / Self.shardCount)
        self.shards = (0..<Self.shardCount).map { shard in
            Shard(random: SplitMix64(seed: 0x5EED_CAFE &+ UInt64(shard)))
        }
    }

    /// One shard's rooms behind its mutex (a class: a `Mutex` cannot be copied into an array).
    private final class Shard: Sendable {
        let rooms: Mutex<Rooms>
        init(random: SplitMix64) { self.rooms = Mutex(Rooms(random: random)) }
    }

    /// The shard of `topic`'s room.
    private func shard(_ topic: String) -> Shard {
        shards[shardIndex(of: topic, count: Self.shardCount)]
    }

    /// The first policy whose filter matches `topic`.
    package func policy(forTopic topic: String) -> RoomPolicy? {
        for policy in policies where Topic.matches(filter: policy.filter, topic: topic) {
            return policy
        }
        return nil
    }

    /// What the router does with a message published into a room.
    enum Admission {
        /// Route it now; the counters go with it for drop accounting.
        case routeNow(RoomCounters?)
        /// Held for the room's batch window; the caller schedules the flush when asked. `dropped`
        /// is how many messages of the window the ceiling dropped to make room (0 or 1).
        case batched(scheduleFlushIn: TimeAmount?, dropped: Int)
        /// Dropped by the room's rate ceiling.
        case dropped
    }

    /// Applies the room's ceiling and batch window to a message of `topic` under `policy`.
    func admit(_ message: inout RoutedMessage, policy: RoomPolicy, now: NIODeadline) -> Admission {
        shard(message.topic).rooms.withLock { rooms in
            guard let position = entryPosition(topic: message.topic, policy: policy, now: now, in: &rooms) else {
                // Too many rooms even after forgetting idle ones: route plainly rather than refuse.
                return .routeNow(nil)
            }
            let counters = rooms.entries.values[position].counters
            counters.messageIn()
            message.room = counters
            let isQoS0 = message.qos == .atMostOnce
            if let interval = policy.batchInterval {
                var random = rooms.random
                var dropped = 0
                var scheduleFlush = false
                rooms.entries.values[position].withBatch { batch, flushScheduled in
                    dropped = batch.add(message, isQoS0: isQoS0, using: &random)
                    if !batch.isEmpty, !flushScheduled {
                        flushScheduled = true
                        scheduleFlush = true
                    }
                }
                rooms.random = random
                if dropped > 0 { counters.droppedByRateCeiling(dropped) }
                return .batched(scheduleFlushIn: scheduleFlush ? interval : nil, dropped: dropped)
            }
            if isQoS0, rooms.entries.values[position].ceiling?.tryAcquire(now: now) == false {
                counters.droppedByRateCeiling(1)
                return .dropped
            }
            return .routeNow(counters)
        }
    }

    /// Runs `body` with the messages of the room's window, under its shard's lock, so that the
    /// next window of the same room cannot be routed before this one (DESIGN §4.7).
    func flush<Result>(
        topic: String, _ body: ([RoutedMessage], RoomCounters) -> Result
    ) -> Result? {
        shard(topic).rooms.withLock { rooms in
            guard let position = rooms.entries.index(forKey: topic) else { return nil }
            rooms.entries.values[position].flushScheduled = false
            guard let messages = rooms.entries.values[position].batch?.take(), !messages.isEmpty else { return nil }
            let counters = rooms.entries.values[position].counters
            counters.batchFlushed()
            return body(messages, counters)
        }
    }

    /// The counters of every room tracked now.
    package var snapshot: [RoomSnapshot] {
        shards.flatMap { shard in
            shard.rooms.withLock { rooms -> [RoomSnapshot] in rooms.entries.values.map { $0.counters.snapshot } }
        }
    }

    private func entryPosition(
        topic: String, policy: RoomPolicy, now: NIODeadline, in rooms: inout Rooms
    ) -> Dictionary<String, Entry>.Index? {
        if let position = rooms.entries.index(forKey: topic) { return position }
        if rooms.entries.count >= maxRoomsPerShard {
            rooms.entries = rooms.entries.filter { !$0.value.flushScheduled }
            guard rooms.entries.count < maxRoomsPerShard else { return nil }
        }
        var entry = Entry(counters: RoomCounters(topic: topic, policyFilter: policy.filter), policy: policy)
        if let rateLimit = policy.rateLimit, policy.batchInterval == nil {
            entry.ceiling = RateLimiter(rate: rateLimit, now: now)
        }
        rooms.entries[topic] = entry
        return rooms.entries.index(forKey: topic)
    }
}

/// A small, fast generator for sampling (not for anything secret): one multiply-xorshift per
/// number, no system call, deterministic per seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D1_049B_1331_11EB
        return z ^ (z >> 31)
    }
}
