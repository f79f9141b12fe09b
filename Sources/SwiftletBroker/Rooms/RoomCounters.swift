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

/// The counters of one room (a topic under a room policy): bumped by the loops that publish into
/// it and by the loops that deliver from it, read for the stats snapshot.
///
/// Relaxed atomics, one writer per event: a room's counters are touched once per message or per
/// batch, not once per delivery, except for drops, which are the exception by definition.
package final class RoomCounters: Sendable {
    package let topic: String
    /// The filter of the policy that governs the room.
    package let policyFilter: String
    private let messagesIn = Atomic<Int>(0)
    private let droppedByCeiling = Atomic<Int>(0)
    private let droppedSlowConsumer = Atomic<Int>(0)
    private let batches = Atomic<Int>(0)
    private let handed = Atomic<Int>(0)

    package init(topic: String, policyFilter: String) {
        self.topic = topic
        self.policyFilter = policyFilter
    }

    func messageIn() { messagesIn.add(1, ordering: .relaxed) }
    func droppedByRateCeiling(_ count: Int) { droppedByCeiling.add(count, ordering: .relaxed) }
    func droppedForSlowConsumer(_ count: Int) { droppedSlowConsumer.add(count, ordering: .relaxed) }
    func batchFlushed() { batches.add(1, ordering: .relaxed) }
    /// Deliveries handed to subscribers' loops: called once per message (or per batch window)
    /// with the number of deliveries, not once per subscriber; drops on the way are counted by
    /// ``droppedForSlowConsumer(_:)``.
    func handedTo(_ count: Int) { handed.add(count, ordering: .relaxed) }

    package var snapshot: RoomSnapshot {
        RoomSnapshot(
            topic: topic, policyFilter: policyFilter,
            messagesIn: messagesIn.load(ordering: .relaxed),
            droppedByCeiling: droppedByCeiling.load(ordering: .relaxed),
            droppedSlowConsumer: droppedSlowConsumer.load(ordering: .relaxed),
            batches: batches.load(ordering: .relaxed),
            delivered: handed.load(ordering: .relaxed))
    }
}

/// One room's counters at one moment.
package struct RoomSnapshot: Sendable, Hashable {
    package var topic: String
    package var policyFilter: String
    /// Messages published into the room (before the ceiling).
    package var messagesIn: Int
    /// QoS 0 messages the rate ceiling dropped.
    package var droppedByCeiling: Int
    /// Deliveries dropped because a subscriber could not keep up (DESIGN §4.6).
    package var droppedSlowConsumer: Int
    /// Batch windows flushed.
    package var batches: Int
    /// Deliveries handed to subscribers (one per subscriber per message), before drops for slow
    /// consumers.
    package var delivered: Int = 0
}
