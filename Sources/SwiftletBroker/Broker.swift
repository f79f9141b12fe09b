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
import Logging
import NIOCore
import SwiftletMQTT
import Synchronization

/// The broker: session registry, subscription index, retained messages and the router.
///
/// Shared by every event loop. The registry and the index are behind mutexes held only for a
/// lookup or an update, never while delivering (DESIGN §4.2); sessions and connections live on
/// their own loops and are reached with one task per loop per publish (DESIGN §4.3).
package final class Broker: Sendable {
    package let configuration: BrokerConfiguration
    package let logger: Logger
    package let stats = BrokerStats()
    package let retained: RetainedStore
    /// Write-through storage of what must survive a restart.
    package let store: any SessionStore
    /// Topics under room policies: batch windows, rate ceilings and their counters.
    package let rooms: RoomTable
    /// Checks CONNECT credentials against the access keys (DESIGN §6).
    package let authenticator: Authenticator
    /// Failed authentication, rate-limited per source address.
    package let authFailures = AuthFailureLimiter()
    /// Tokens revoked before their expiry (see Broker+Tokens.swift).
    package let revokedTokens: TokenRevocationList

    /// Internal rather than private for the admin queries (Broker+Admin.swift) and shared-subscription
    /// redelivery (Broker+SharedRedelivery.swift).
    let index = Mutex(SubscriptionIndex<SessionHandle>())
    /// Connection counter behind status events' channel IDs, and the process start that makes
    /// them unique across restarts.
    private let channelCounter = Atomic<UInt64>(0)
    private let startedAt = WallClock.milliseconds()
    private let loops = LoopContexts()
    /// The session registry; internal for the admin queries too (Broker+Admin.swift).
    let sessions = Mutex([String: SessionHandle]())

    package init(configuration: BrokerConfiguration, logger: Logger, store: any SessionStore = MemorySessionStore()) {
        self.configuration = configuration
        self.logger = logger
        self.store = store
        self.retained = RetainedStore(limit: configuration.maxRetainedMessages, store: store)
        self.rooms = RoomTable(policies: configuration.rooms, maxRooms: configuration.maxRooms)
        self.authenticator = Authenticator(configuration: configuration)
        self.revokedTokens = TokenRevocationList(limit: configuration.maxRevokedTokens)
    }

    // MARK: - Sessions

    /// The result of opening a session for a CONNECT.
    package struct OpenedSession: Sendable {
        package var session: SessionHandle
        /// CONNACK Session Present [MQTT-3.2.2-2] [MQTT-3.2.2-3].
        package var sessionPresent: Bool
    }

    /// Finds or creates the session of `clientID` on `eventLoop` (the connection's loop). An
    /// existing session is taken over: its connection is closed, and its state moves here unless
    /// `cleanStart` discards it (MQTT 5 §3.1.4). The future completes on `eventLoop`.
    package func openSession(clientID: String, cleanStart: Bool, on eventLoop: any EventLoop)
        -> EventLoopFuture<OpenedSession>
    {
        let (handle, previous) = sessions.withLock { sessions in
            let previous = sessions[clientID]
            // A resumed session may still receive messages forwarded from the old loop; until
            // they are through, direct deliveries to the new handle wait (DESIGN §4.7).
            let handle = SessionHandle(
                clientID: clientID, eventLoop: eventLoop, broker: self, loop: loopContext(for: eventLoop),
                awaitingPredecessor: previous != nil && !cleanStart)
            sessions[clientID] = handle
            return (handle, previous)
        }
        guard let previous else {
            return eventLoop.makeSucceededFuture(OpenedSession(session: handle, sessionPresent: false))
        }
        stats.increment(.sessionsTakenOver)
        // Takeovers of one client ID are serialised: each waits until the previous handle has its
        // connection attached, so a state is never moved out of a handle before it arrived.
        let opened = previous.ready.hop(to: previous.eventLoop).flatMap { () -> EventLoopFuture<OpenedSession> in
            let moved = previous.takeOver(by: handle, cleanStart: cleanStart)
            // Every delivery task queued on the old loop before this point may still forward to the
            // new handle; a marker queued behind them tells the new handle when they are through.
            // Deliveries are submitted under the index lock, so none can slip in behind the marker.
            previous.eventLoop.execute {
                handle.eventLoop.execute { handle.predecessorDrained() }
            }
            return eventLoop.submit {
                handle.install(moved)
                return OpenedSession(session: handle, sessionPresent: moved != nil)
            }
        }
        opened.whenFailure { error in
            self.logger.error(
                "taking over a session failed", metadata: ["client.id": "\(clientID)", "error": "\(error)"])
            self.sessions.withLock { sessions in
                if sessions[clientID] === handle { sessions[clientID] = nil }
            }
            eventLoop.execute { handle.abandon() }
        }
        return opened
    }

    /// What the broker keeps for `eventLoop` (its flusher, counters and queue budget).
    func loopContext(for eventLoop: any EventLoop) -> LoopContext {
        let share = configuration.maxQueuedBytesTotal / max(1, configuration.eventLoopCount)
        return loops.context(for: eventLoop, stats: stats, queueBudget: share)
    }

    /// The session currently registered for a client ID, if any.
    package func session(clientID: some StringProtocol) -> SessionHandle? {
        sessions.withLock { $0[String(clientID)] }
    }

    /// Every registered session, for the rare broker-wide actions (token revocation).
    func registeredSessions() -> [SessionHandle] {
        sessions.withLock { Array($0.values) }
    }

    /// Called by a session that ended, on its loop. `unacknowledgedShared` are the messages it got
    /// through shared subscriptions and never acknowledged (see Broker+SharedRedelivery.swift).
    func sessionEnded(
        _ handle: SessionHandle, filters: some Collection<String>, reason: String,
        unacknowledgedShared: [OutboundDelivery] = []
    ) {
        sessions.withLock { sessions in
            if sessions[handle.clientID] === handle { sessions[handle.clientID] = nil }
        }
        // Also forgets the handle's availability mark. The ended member's shared messages go to the
        // other members under the same lock: no later publish reaches them first (DESIGN §4.7).
        let redelivery = index.withLock { index in
            index.unsubscribeAll(handle, filters: filters)
            return unacknowledgedShared.isEmpty ? nil : redeliverShared(unacknowledgedShared, index: &index)
        }
        if let redelivery { noteRedelivery(redelivery, from: handle.clientID) }
        logger.debug("session ended", metadata: ["client.id": "\(handle.clientID)", "reason": "\(reason)"])
    }

    func moveSubscriptions(from old: SessionHandle, to new: SessionHandle, filters: some Collection<String>) {
        index.withLock { index in
            index.setAvailable(old, true)  // forgets the old handle
            index.replace(old, with: new, filters: filters)
        }
    }

    /// A session gained or lost its connection: shared groups prefer members that have one.
    func sessionAvailabilityChanged(_ session: SessionHandle, connected: Bool) {
        index.withLock { $0.setAvailable(session, connected) }
    }

    // MARK: - Subscriptions

    /// Adds or replaces a subscription. Returns whether it existed before [MQTT-3.8.4-3].
    @discardableResult
    package func subscribe(_ session: SessionHandle, filter: String, options: SubscriptionOptions) -> Bool {
        index.withLock { $0.subscribe(session, filter: filter, options: options) }
    }

    /// Removes a subscription. Returns whether it existed.
    @discardableResult
    package func unsubscribe(_ session: SessionHandle, filter: String) -> Bool {
        index.withLock { $0.unsubscribe(session, filter: filter) }
    }

    package var subscriptionCount: Int { index.withLock { $0.subscriptionCount } }

    // MARK: - Routing

    /// Routes a message to every matching subscriber, or to the one client of a p2p topic.
    /// Returns the number of sessions it was handed to; a message held for a room's batch window
    /// counts as handed to one.
    ///
    /// One index lookup per message (per batch window in a batched room); matches are grouped by
    /// event loop and each loop gets one task that delivers to all of its subscribers and flushes
    /// each connection once (DESIGN §4.2, §4.3). Tasks on one loop run in submission order, so
    /// messages from one publisher reach each subscriber in publish order (DESIGN §4.7).
    ///
    /// - Parameter loop: where a room's batch window is timed when there is no publisher session
    ///   (a will, the admin API); without either, the window is flushed at once.
    @discardableResult
    package func route(
        _ message: RoutedMessage, from publisher: SessionHandle?, now: NIODeadline, on loop: (any EventLoop)? = nil
    ) -> Int {
        (publisher?.stats ?? stats).increment(.messagesReceived)
        if let target = message.p2pTargetClientID.map({ $0[...] }) ?? P2PTopic.targetClientID(ofTopic: message.topic) {
            return routeP2P(message, to: target)
        }
        if message.retain, !retained.store(message, now: now) {
            stats.increment(.retainedRejected)
            logger.info("retained store full, message not retained", metadata: ["topic": "\(message.topic)"])
        }
        var message = message
        if !rooms.policies.isEmpty, let policy = rooms.policy(forTopic: message.topic) {
            switch rooms.admit(&message, policy: policy, now: now) {
            case .dropped:
                stats.increment(.messagesDroppedRateCeiling)
                return 0
            case .batched(let flushIn, let dropped):
                if dropped > 0 { stats.increment(.messagesDroppedRateCeiling, by: dropped) }
                if let flushIn {
                    let topic = message.topic
                    if let loop = publisher?.eventLoop ?? loop {
                        loop.scheduleTask(in: flushIn) { self.flushRoom(topic) }
                    } else {
                        flushRoom(topic)
                    }
                }
                return 1
            case .routeNow:
                break
            }
        }
        return index.withLock { index in
            let matches = index.match(topic: message.topic, publisher: publisher)
            // Submitted under the lock: a session that moves loops (openSession) then sees every
            // delivery matched to its old handle queued before its forwarding marker.
            if !matches.isEmpty {
                // Once per message, and only for messages into a room under a policy.
                message.room?.handedTo(matches.count)
                dispatch(message, matches: matches)
            }
            return matches.count
        }
    }

    /// Sends a room's batch window: one index lookup for all of its messages, one task per loop.
    /// Runs under the room table's lock, so windows of one room leave in order (DESIGN §4.7).
    func flushRoom(_ topic: String) {
        rooms.flush(topic: topic) { messages, counters in
            index.withLock { index in
                // No publisher: no-local is applied per subscriber on its loop, where the
                // subscription options are (see SessionHandle.deliverBatch).
                let matches = index.match(topic: topic, publisher: nil)
                guard !matches.isEmpty else { return }
                counters.handedTo(matches.count * messages.count)
                let batch = RoomDelivery(topic: topic, messages: messages, room: counters)
                Self.submitPerLoop(matches, batch)
            }
        }
    }

    /// A p2p message goes to its target session whether or not it subscribed (DESIGN §5).
    private func routeP2P(_ message: RoutedMessage, to clientID: Substring) -> Int {
        var p2pMessage = message
        // A p2p message is addressed to one client and is never kept as a retained message.
        p2pMessage.retain = false
        let message = p2pMessage
        // Submitted under the registry lock, for the same reason as in route().
        let found = sessions.withLock { sessions -> Bool in
            guard let target = sessions[String(clientID)] else { return false }
            target.eventLoop.execute {
                var cache = PublishEncodingCache()
                if target.deliver(
                    message, qos: message.qos, retain: false, subscriptionIdentifiers: [],
                    now: target.eventLoop.now, cache: &cache)
                {
                    target.flushConnection()
                }
            }
            return true
        }
        if !found { stats.increment(.messagesDroppedNoSession) }
        return found ? 1 : 0
    }

    private func dispatch(_ message: RoutedMessage, matches: [SubscriptionMatch<SessionHandle>]) {
        Self.submitPerLoop(matches, message)
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

    /// Publishes a will message as if its client had sent it (MQTT 5 §3.1.2.5).
    func publishWill(_ will: WillMessage, clientID: String, now: NIODeadline, on loop: any EventLoop) {
        stats.increment(.willsPublished)
        let publish = PublishPacket(
            topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain,
            properties: will.properties)
        var message = RoutedMessage(publish: publish, receivedAt: now, publisherClientID: clientID)
        // Will properties that only concern the will itself are not forwarded.
        message.properties.removeAll(identifier: Property.willDelayInterval(0).identifier)
        logger.debug("publishing will", metadata: ["client.id": "\(clientID)", "topic": "\(will.topic)"])
        route(message, from: nil, now: now, on: loop)
    }

    // MARK: - Status events (DESIGN §7)

    /// A new channel ID: `{start-ms}-{n}`, increasing within a broker process.
    func nextChannelID() -> ChannelID {
        ChannelID(startedAt: startedAt, number: channelCounter.add(1, ordering: .relaxed).newValue)
    }

    /// Publishes a connect or disconnect event as a QoS 1 broker message on its `$SYS` topic.
    /// Wildcards at the first level never match `$SYS` [MQTT-4.7.2-1], and only `cloud` clients may
    /// subscribe there, so the events reach backends only.
    func publishStatusEvent(_ event: StatusEvent, on loop: (any EventLoop)?) {
        guard configuration.statusEvents else { return }
        let message = RoutedMessage(
            topic: event.topic, payload: ByteBuffer(string: event.json), qos: .atLeastOnce, retain: false,
            properties: [.payloadFormatIndicator(1), .contentType("application/json")])
        route(message, from: nil, now: loop?.now ?? .now(), on: loop)
    }

    // MARK: - Shutdown

    /// Tells every connected client that the server is going away (0x8B for MQTT 5).
    package func shutdown(eventLoopGroup: any EventLoopGroup) -> EventLoopFuture<Void> {
        let all = sessions.withLock { Array($0.values) }
        let futures = all.map { session in
            session.eventLoop.submit { session.shutdown() }
        }
        return EventLoopFuture.andAllComplete(futures, on: eventLoopGroup.any())
    }
}

/// What one fan-out task delivers on a subscribers' loop: a message, or a room's batch window.
private protocol LoopDelivery: Sendable {
    func deliver(to matches: [SubscriptionMatch<SessionHandle>], now: NIODeadline)
}

extension RoutedMessage: LoopDelivery {
    fileprivate func deliver(to matches: [SubscriptionMatch<SessionHandle>], now: NIODeadline) {
        Broker.deliver(self, to: matches, now: now)
    }
}

extension RoomDelivery: LoopDelivery {
    fileprivate func deliver(to matches: [SubscriptionMatch<SessionHandle>], now: NIODeadline) {
        Broker.deliver(self, to: matches, now: now)
    }
}
