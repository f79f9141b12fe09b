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
import Synchronization

/// Flushes the connections that fan-out tasks wrote to, once for all the delivery tasks queued on
/// an event loop at that moment (DESIGN §4.3).
///
/// A delivery task writes without flushing and registers the connections it touched here. When
/// it ends and no other delivery task is queued for this loop, everything registered is flushed
/// at once; while more tasks wait, the flush rides on the last of them, up to
/// ``maxTasksPerFlush`` tasks. An idle loop therefore flushes right after each delivery (no added
/// latency, no wait for the next I/O round), and a busy one sends many PUBLISH packets per system
/// call instead of one — what NATS does with its per-client flusher.
///
/// The queued-task count is the only state touched off the loop (an atomic, once per task, not
/// per delivery); the rest is confined to the loop, hence `@unchecked Sendable`.
final class LoopFlusher: @unchecked Sendable {
    let eventLoop: any EventLoop
    /// Delivery tasks submitted to this loop and not finished yet.
    private let queuedTasks = Atomic<Int>(0)
    private var pending: [SessionHandle] = []
    private var spare: [SessionHandle] = []
    private var tasksSinceFlush = 0
    /// Bounds how long a touched connection waits for its flush while tasks keep arriving.
    static let maxTasksPerFlush = 32

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// A delivery task for this loop is about to be submitted (any thread).
    func taskSubmitted() {
        queuedTasks.add(1, ordering: .relaxed)
    }

    /// Registers `session` to be flushed when the current round of delivery tasks ends.
    func flushSoon(_ session: SessionHandle) {
        guard !session.flushPending else { return }
        session.flushPending = true
        pending.append(session)
    }

    /// A delivery task submitted with ``taskSubmitted()`` finished (on the loop).
    func taskFinished() {
        let stillQueued = queuedTasks.subtract(1, ordering: .relaxed).newValue
        tasksSinceFlush += 1
        guard stillQueued == 0 || tasksSinceFlush >= Self.maxTasksPerFlush else { return }
        flushAll()
    }

    private func flushAll() {
        tasksSinceFlush = 0
        guard !pending.isEmpty else { return }
        // Swap the two arrays so that neither is reallocated round after round.
        swap(&pending, &spare)
        for session in spare {
            session.flushPending = false
            session.flushConnection()
        }
        spare.removeAll(keepingCapacity: true)
    }
}

/// What the broker keeps per event loop: the flusher, the loop's shard of the counters, its
/// share of the queue budget and its copy of the subscription index. Looked up when a session is
/// created, never per delivery: a session keeps its loop's context.
final class LoopContext: Sendable {
    let flusher: LoopFlusher
    let stats: BrokerStats
    let queueBudget: QueueBudget
    /// This loop's copy of the subscription index, which publishes on this loop match against.
    let routes: LoopRoutes

    init(eventLoop: any EventLoop, stats: BrokerStats, queueBudget: Int, routes: LoopRoutes) {
        self.flusher = LoopFlusher(eventLoop: eventLoop)
        self.stats = stats
        self.queueBudget = QueueBudget(eventLoop: eventLoop, limit: queueBudget)
        self.routes = routes
    }
}

final class LoopContexts: Sendable {
    private let byLoop = Mutex<[ObjectIdentifier: LoopContext]>([:])

    /// - Parameter queueBudget: the loop's share of `max-queued-bytes-total`, for a new context.
    func context(for eventLoop: any EventLoop, stats: BrokerStats, queueBudget: Int, router: Router) -> LoopContext {
        byLoop.withLock { byLoop in
            let key = ObjectIdentifier(eventLoop)
            if let existing = byLoop[key] { return existing }
            let created = LoopContext(
                eventLoop: eventLoop, stats: stats.shard(), queueBudget: queueBudget,
                routes: router.makeCopy(for: eventLoop))
            byLoop[key] = created
            return created
        }
    }

    /// The context of `eventLoop` if the broker has one, without making one.
    func existingContext(for eventLoop: any EventLoop) -> LoopContext? {
        byLoop.withLock { $0[ObjectIdentifier(eventLoop)] }
    }
}
