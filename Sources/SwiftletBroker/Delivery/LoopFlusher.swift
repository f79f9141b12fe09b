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

/// Flushes the connections that fan-out tasks wrote to, once for all the tasks queued on an event
/// loop at that moment (DESIGN §4.3).
///
/// A delivery task writes without flushing and asks for a flush here; the first request queues
/// one flush task behind the tasks already waiting on the loop. When the loop is idle that task
/// runs right after the delivery, so latency does not change; when publishes queue up, every
/// delivery queued before the flush task rides on the same flush, so a subscriber gets many
/// PUBLISH packets per system call instead of one (what NATS does with its per-client flusher).
///
/// Confined to its event loop; `@unchecked Sendable` so that sessions can hold it.
final class LoopFlusher: @unchecked Sendable {
    let eventLoop: any EventLoop
    private var pending: [SessionHandle] = []
    private var spare: [SessionHandle] = []
    private var scheduled = false

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Flushes `session`'s connection after the tasks queued on this loop so far.
    func flushSoon(_ session: SessionHandle) {
        guard !session.flushPending else { return }
        session.flushPending = true
        pending.append(session)
        guard !scheduled else { return }
        scheduled = true
        eventLoop.execute { self.flushAll() }
    }

    private func flushAll() {
        scheduled = false
        // Swap the two arrays so that neither is reallocated round after round.
        swap(&pending, &spare)
        for session in spare {
            session.flushPending = false
            session.flushConnection()
        }
        spare.removeAll(keepingCapacity: true)
    }
}

/// What the broker keeps per event loop: the flusher and the loop's shard of the counters.
/// Looked up when a session is created, never per delivery.
final class LoopContext: Sendable {
    let flusher: LoopFlusher
    let stats: BrokerStats

    init(eventLoop: any EventLoop, stats: BrokerStats) {
        self.flusher = LoopFlusher(eventLoop: eventLoop)
        self.stats = stats
    }
}

final class LoopContexts: Sendable {
    private let byLoop = Mutex<[ObjectIdentifier: LoopContext]>([:])

    func context(for eventLoop: any EventLoop, stats: BrokerStats) -> LoopContext {
        byLoop.withLock { byLoop in
            let key = ObjectIdentifier(eventLoop)
            if let existing = byLoop[key] { return existing }
            let created = LoopContext(eventLoop: eventLoop, stats: stats.shard())
            byLoop[key] = created
            return created
        }
    }
}
