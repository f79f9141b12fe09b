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

/// Finds who a message goes to and hands it to their event loops (DESIGN §4 rules 2, 3, 7).
///
/// **No lock while publishing.** Every event loop keeps its own copy of the subscription index
/// (``LoopRoutes``), touched by that loop only; a publish on a loop matches against that copy. The
/// writers (SUBSCRIBE, UNSUBSCRIBE, sessions that end or move, which are rare next to publishes)
/// change the ``SubscriptionJournal`` under a mutex and bump an atomic version; a loop's copy
/// replays the journal's changes when it sees a newer version before a match, and each write also
/// asks every loop to catch up soon, so an idle loop's copy never holds the journal back. The cost
/// of a publish in the steady state is one atomic load.
///
/// Consistency: a change is recorded before the SUBACK or UNSUBACK it causes is written, and a
/// publish that starts after that, on any loop, sees the new version first. Order across a session
/// that moves to another loop is kept by ``afterEveryLoopCaughtUp(notifying:_:)``.
///
/// A publish that is not on an event loop with a copy (the admin API on a foreign thread, tests)
/// matches against the journal's own index under the mutex, as every publish did before.
final class Router: Sendable {
    private struct Writers {
        var journal: SubscriptionJournal<SessionHandle>
        /// Every loop's copy, by replica number.
        var copies: [LoopRoutes] = []
        /// Whether a catch-up task is queued on the loop of each copy.
        var catchUpQueued: [Bool] = []
    }

    private let writers: Mutex<Writers>
    /// The journal's version, readable without the lock: what a publish compares its copy with.
    private let latestVersion = Atomic<UInt64>(0)

    /// Every publish matched under the lock: for `swiftlet bench routing --compare-locked` only.
    private let matchUnderLock: Bool
    /// Told which filters this node's clients hold, when there is a cluster (DESIGN §10).
    private let remote: (any RemoteRoute)?

    init(matchUnderLock: Bool = false, remote: (any RemoteRoute)? = nil) {
        self.matchUnderLock = matchUnderLock
        self.remote = remote
        self.writers = Mutex(Writers(journal: SubscriptionJournal(tracksInterest: remote != nil)))
    }

    // MARK: - Copies per loop

    /// A copy of the index for `eventLoop`, starting from the journal's index as it is now. Called
    /// once per loop, when the broker first sees it.
    func makeCopy(for eventLoop: any EventLoop) -> LoopRoutes {
        writers.withLock { writers in
            let (replica, index, version) = writers.journal.addReplica()
            let copy = LoopRoutes(eventLoop: eventLoop, replica: replica, index: index, version: version)
            writers.copies.append(copy)
            writers.catchUpQueued.append(false)
            return copy
        }
    }

    /// Brings `copy` up to the journal's version. On the copy's loop.
    func catchUp(_ copy: LoopRoutes) {
        let latest = latestVersion.load(ordering: .acquiring)
        guard copy.version != latest else { return }
        let (changes, version) = writers.withLock { writers in
            writers.catchUpQueued[copy.replica] = false
            return (writers.journal.fetch(replica: copy.replica, after: copy.version), writers.journal.version)
        }
        for change in changes {
            copy.index.apply(change)
        }
        copy.version = version
    }

    // MARK: - Writing

    /// Runs `body` on the journal under the writers' lock; if it recorded changes, publishes the new
    /// version and asks every loop whose copy has no catch-up queued to catch up. Tells the remote
    /// route of filters that gained their first or lost their last subscription.
    @discardableResult
    func write<Result>(_ body: (inout SubscriptionJournal<SessionHandle>) -> Result) -> Result {
        let (result, wake) = writers.withLock { writers -> (Result, [LoopRoutes]) in
            let before = writers.journal.version
            let result = body(&writers.journal)
            if let remote {
                // Under the lock, so that the changes of one filter reach the cluster in order.
                for change in writers.journal.takeInterestChanges() {
                    if change.added {
                        remote.interestAdded(filter: change.filter)
                    } else {
                        remote.interestRemoved(filter: change.filter)
                    }
                }
            }
            guard writers.journal.version != before else { return (result, []) }
            latestVersion.store(writers.journal.version, ordering: .releasing)
            var wake: [LoopRoutes] = []
            for replica in writers.copies.indices where !writers.catchUpQueued[replica] {
                writers.catchUpQueued[replica] = true
                wake.append(writers.copies[replica])
            }
            return (result, wake)
        }
        for copy in wake {
            copy.eventLoop.execute { self.catchUp(copy) }
        }
        return result
    }

    /// Reads the journal's index under the writers' lock (admin queries, counts).
    func read<Result>(_ body: (SubscriptionIndex<SessionHandle>) -> Result) -> Result {
        writers.withLock { body($0.journal.index) }
    }

    /// Runs `body` on `notifying` once every loop's copy has caught up with the changes recorded so
    /// far, and every delivery task that a loop queued for `notifying` from an older copy is queued
    /// ahead of it.
    ///
    /// This is what keeps order when a session moves to a handle on another loop (DESIGN §4.7): a
    /// publish on loop L matches L's copy and queues its delivery tasks on the subscribers' loops in
    /// the same task, so once a task of L's ran after L caught up with the move, everything L
    /// matched to the old handle is already queued on the old handle's loop; the task L queues
    /// there next comes after it. A publish that matched under the lock (no copy) queued its tasks
    /// before the move was recorded.
    func afterEveryLoopCaughtUp(notifying loop: any EventLoop, _ body: @escaping @Sendable () -> Void) {
        let copies = writers.withLock { $0.copies }
        guard !copies.isEmpty else {
            loop.execute(body)
            return
        }
        let countdown = LoopCountdown(count: copies.count, body)
        for copy in copies {
            copy.eventLoop.execute {
                self.catchUp(copy)
                loop.execute { countdown.arrive() }
            }
        }
    }

    // MARK: - Routing

    /// Matches `message` and queues one delivery task per loop of its subscribers (DESIGN §4.3).
    /// Returns the number of matches.
    ///
    /// - Parameter routes: the copy of the loop this runs on, or nil off the loops.
    func dispatch(_ message: RoutedMessage, publisher: SessionHandle?, routes: LoopRoutes?) -> Int {
        guard let routes, !matchUnderLock else {
            // Submitted under the lock: a session that moves loops then sees every delivery
            // matched to its old handle queued before its forwarding marker.
            return writers.withLock { writers in
                Self.dispatch(message, matches: writers.journal.match(topic: message.topic, publisher: publisher))
            }
        }
        catchUp(routes)
        return Self.dispatch(message, matches: routes.index.match(topic: message.topic, publisher: publisher))
    }

    private static func dispatch(_ message: RoutedMessage, matches: [SubscriptionMatch<SessionHandle>]) -> Int {
        if !matches.isEmpty {
            // Once per message, and only for messages into a room under a policy.
            message.room?.handedTo(matches.count)
            submitPerLoop(matches, message)
        }
        return matches.count
    }

    /// A room's batch window: one lookup for all of its messages, one task per loop. The caller
    /// holds the room's lock, so windows of one room leave in order (DESIGN §4.7).
    func dispatch(_ messages: [RoutedMessage], topic: String, counters: RoomCounters, routes: LoopRoutes?) {
        // No publisher: no-local is applied per subscriber on its loop, where the subscription
        // options are (see SessionHandle.deliverBatch).
        func submit(_ matches: [SubscriptionMatch<SessionHandle>]) {
            guard !matches.isEmpty else { return }
            counters.handedTo(matches.count * messages.count)
            Self.submitPerLoop(matches, RoomDelivery(topic: topic, messages: messages, room: counters))
        }
        guard let routes, !matchUnderLock else {
            writers.withLock { submit($0.journal.match(topic: topic, publisher: nil)) }
            return
        }
        catchUp(routes)
        submit(routes.index.match(topic: topic, publisher: nil))
    }

    /// One delivery task per event loop of the matched subscribers (DESIGN §4.3), counted by that
    /// loop's `LoopFlusher` so that the last queued task flushes what all of them wrote.
    /// Generic over what is delivered rather than taking a closure, so that submitting allocates
    /// nothing beyond the task itself (a closure parameter cost one malloc per publish, which
    /// Benchmarks/SwiftletBenchmarks caught).
    private static func submitPerLoop<Delivery: LoopDelivery>(
        _ matches: [SubscriptionMatch<SessionHandle>], _ delivery: Delivery
    ) {
        for (loop, matches) in groupedByLoop(matches) {
            let flusher = matches[0].subscriber.flusher
            flusher.taskSubmitted()
            loop.execute {
                delivery.deliver(to: matches, now: loop.now)
                flusher.taskFinished()
            }
        }
    }

    private static func groupedByLoop(
        _ matches: [SubscriptionMatch<SessionHandle>]
    ) -> [(loop: any EventLoop, matches: [SubscriptionMatch<SessionHandle>])] {
        // Few loops (one per core): a linear scan beats hashing here. The first pass only counts,
        // so that each loop's share is allocated once at its final size rather than grown
        // append by append, and subscribers that all share one loop get the index's array
        // itself: no allocation per delivery (issue 5, Benchmarks/SwiftletBenchmarks).
        var loops: [(loop: any EventLoop, count: Int)] = []
        for match in matches {
            let loop = match.subscriber.eventLoop
            if let index = loops.firstIndex(where: { $0.loop === loop }) {
                loops[index].count += 1
            } else {
                loops.append((loop, 1))
            }
        }
        if loops.count == 1 {
            return [(loops[0].loop, matches)]
        }
        var groups = loops.map { entry in
            var group: (loop: any EventLoop, matches: [SubscriptionMatch<SessionHandle>]) = (entry.loop, [])
            group.matches.reserveCapacity(entry.count)
            return group
        }
        for match in matches {
            let loop = match.subscriber.eventLoop
            groups[loops.firstIndex(where: { $0.loop === loop })!].matches.append(match)
        }
        return groups
    }

    /// Runs on the subscribers' loop: encode once, write to every subscriber; each touched
    /// connection is flushed once, when this round of delivery tasks ends (LoopFlusher).
    fileprivate static func deliver(
        _ message: RoutedMessage, to matches: [SubscriptionMatch<SessionHandle>], now: NIODeadline
    ) {
        var cache = PublishEncodingCache()
        for match in matches {
            let qos = min(message.qos, match.qos)
            // Retain-as-published, else 0 on a normal delivery [MQTT-3.3.1-12] [MQTT-3.3.1-13].
            let retain = match.retainAsPublished && message.retain
            if match.subscriber.deliver(
                message, qos: qos, retain: retain, subscriptionIdentifiers: match.subscriptionIdentifiers,
                now: now, cache: &cache, sharedSubscription: match.sharedSubscription)
            {
                match.subscriber.flusher.flushSoon(match.subscriber)
            }
        }
    }

    /// Runs on the subscribers' loop for a room's batch window: every subscriber that takes the
    /// window as QoS 0 with no per-subscriber bytes gets one shared buffer holding all of its
    /// PUBLISH packets, encoded once per protocol family (DESIGN §4.4, §4.5); the others get the
    /// messages one by one, in order.
    fileprivate static func deliver(
        _ batch: RoomDelivery, to matches: [SubscriptionMatch<SessionHandle>], now: NIODeadline
    ) {
        var shared = SharedPublishBatch(batch, now: now)
        var caches = [PublishEncodingCache](repeating: PublishEncodingCache(), count: batch.messages.count)
        for match in matches {
            let session = match.subscriber
            if match.subscriptionIdentifiers.isEmpty, match.qos == .atMostOnce || shared.isAllQoS0 {
                switch session.deliverBatch(
                    &shared, retainAsPublished: match.retainAsPublished, checkNoLocal: !match.isShared)
                {
                case .written:
                    session.flusher.flushSoon(session)
                    continue
                case .dropped:
                    continue
                case .unshareable:
                    break
                }
            }
            let skipOwn =
                !match.isShared && shared.hasMessage(from: session.clientID)
                && session.suppressesOwnMessages(topic: batch.topic)
            var wrote = false
            for (position, message) in batch.messages.enumerated() {
                // No-local [MQTT-3.8.3-3], which the batch's publisher-less lookup could not apply.
                if skipOwn, message.publisherClientID == session.clientID { continue }
                let qos = min(message.qos, match.qos)
                let retain = match.retainAsPublished && message.retain
                if session.deliver(
                    message, qos: qos, retain: retain, subscriptionIdentifiers: match.subscriptionIdentifiers,
                    now: now, cache: &caches[position], sharedSubscription: match.sharedSubscription)
                {
                    wrote = true
                }
            }
            if wrote { session.flusher.flushSoon(session) }
        }
    }
}

/// One event loop's copy of the subscription index (see ``Router``). Touched on its loop only,
/// hence `@unchecked Sendable`.
final class LoopRoutes: @unchecked Sendable {
    let eventLoop: any EventLoop
    /// This copy's number in the journal.
    let replica: Int
    var index: SubscriptionIndex<SessionHandle>
    /// The journal version this copy has applied.
    var version: UInt64

    init(eventLoop: any EventLoop, replica: Int, index: SubscriptionIndex<SessionHandle>, version: UInt64) {
        self.eventLoop = eventLoop
        self.replica = replica
        self.index = index
        self.version = version
    }
}

/// Runs a body once `count` arrivals were counted, all on one loop.
private final class LoopCountdown: @unchecked Sendable {
    private var remaining: Int
    private let body: @Sendable () -> Void

    init(count: Int, _ body: @escaping @Sendable () -> Void) {
        self.remaining = count
        self.body = body
    }

    func arrive() {
        remaining -= 1
        if remaining == 0 { body() }
    }
}

/// What one fan-out task delivers on a subscribers' loop: a message, or a room's batch window.
private protocol LoopDelivery: Sendable {
    func deliver(to matches: [SubscriptionMatch<SessionHandle>], now: NIODeadline)
}

extension RoutedMessage: LoopDelivery {
    fileprivate func deliver(to matches: [SubscriptionMatch<SessionHandle>], now: NIODeadline) {
        Router.deliver(self, to: matches, now: now)
    }
}

extension RoomDelivery: LoopDelivery {
    fileprivate func deliver(to matches: [SubscriptionMatch<SessionHandle>], now: NIODeadline) {
        Router.deliver(self, to: matches, now: now)
    }
}
