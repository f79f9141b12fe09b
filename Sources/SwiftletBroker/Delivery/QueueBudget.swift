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

/// One event loop's share of `max-queued-bytes-total`: the bytes of messages queued in the
/// sessions of this loop, and what gives way when they reach the share (DESIGN §4.6, §9).
///
/// When a message would not fit, the sessions with the largest queues on this loop lose their
/// oldest queued messages first, levelled down together until a sixteenth of the share is free
/// again: the slowest or longest-offline clients pay for the memory they hold, publishers keep
/// being acknowledged, and clients that keep up are not touched. Refusing publishers instead
/// (PUBACK 0x97) would let one client that never reads stop QoS 1 traffic for everybody.
///
/// The share is the total divided by the number of event loops: sessions are spread over the
/// loops as connections are, and each loop decides alone, without a lock or an atomic on the
/// queueing path. Messages in flight (sent, awaiting PUBACK) are not counted here; the per-session
/// `max-queued-bytes` bounds them with the queue.
///
/// Confined to its loop (the checker cannot see that, hence `@unchecked Sendable`).
final class QueueBudget: @unchecked Sendable {
    let eventLoop: any EventLoop
    /// This loop's share, in ``RoutedMessage/byteCost``.
    let limit: Int
    /// What the sessions of this loop hold in their queues.
    private(set) var used = 0
    /// Sessions of this loop with at least one queued message: the candidates for eviction.
    private var holders: Set<SessionHandle> = []

    init(eventLoop: any EventLoop, limit: Int) {
        self.eventLoop = eventLoop
        self.limit = limit
    }

    /// `session` queued `bytes` more.
    func charge(_ bytes: Int, to session: SessionHandle) {
        eventLoop.assertInEventLoop()
        used += bytes
        if bytes > 0 { holders.insert(session) }
    }

    /// `session` no longer holds `bytes` of its queue; `queueEmpty` when it holds nothing more.
    func release(_ bytes: Int, from session: SessionHandle, queueEmpty: Bool) {
        eventLoop.assertInEventLoop()
        used -= bytes
        if queueEmpty { holders.remove(session) }
    }

    /// Makes room for a message of `bytes` about to be queued, evicting from the largest queues if
    /// the share is full. Returns false if it still does not fit (nothing left to evict).
    func makeRoom(for bytes: Int) -> Bool {
        eventLoop.assertInEventLoop()
        guard used + bytes > limit else { return true }
        // Free a sixteenth of the share at once, so that the sort below is paid once per that
        // much queued traffic rather than once per message.
        let target = max(0, limit - limit / 16 - bytes)
        let level = Self.evictionLevel(sizes: holders.map(\.queuedBytesForBudget), excess: used - target)
        for session in Array(holders) where session.queuedBytesForBudget > level {
            session.evictQueued(downTo: level)
        }
        return used + bytes <= limit
    }

    /// The queue size `L` such that trimming every queue above `L` down to `L` frees at least
    /// `excess` bytes, as high as possible: the largest queues give way first and end up level
    /// ("water-filling" from the top).
    static func evictionLevel(sizes: [Int], excess: Int) -> Int {
        guard excess > 0 else { return Int.max }
        let sorted = sizes.sorted(by: >)
        var prefix = 0
        for (index, size) in sorted.enumerated() {
            prefix += size
            let next = index + 1 < sorted.count ? sorted[index + 1] : 0
            let count = index + 1
            // Trimming the `count` largest down to `next` frees prefix - count * next.
            if prefix - count * next >= excess {
                return (prefix - excess) / count
            }
        }
        return 0
    }
}
