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
/// Shared by every event loop. The session registry is sharded by client ID, each shard behind a
/// mutex held only for a lookup or an update; the subscription index is kept per loop by the
/// ``Router``, so a publish takes no lock (DESIGN §4.2); sessions and connections live on their
/// own loops and are reached with one task per loop per publish (DESIGN §4.3).
package final class Broker: Sendable {
    package let configuration: BrokerConfiguration
    package let logger: Logger
    package let stats = BrokerStats()
    package let retained: RetainedStore
    /// Write-through storage of what must survive a restart.
    package let store: any SessionStore
    /// The other nodes of a cluster, as one more kind of subscriber (DESIGN §10); nil alone.
    package let remote: (any RemoteRoute)?
    /// Topics under room policies: batch windows, rate ceilings and their counters.
    package let rooms: RoomTable
    /// Checks CONNECT credentials against the access keys (DESIGN §6).
    package let authenticator: Authenticator
    /// Failed authentication, rate-limited per source address.
    package let authFailures = AuthFailureLimiter()
    /// Tokens revoked before their expiry (see Broker+Tokens.swift).
    package let revokedTokens: TokenRevocationList

    /// The subscription index, one copy per loop, and the fan-out. Internal rather than private for
    /// the admin queries (Broker+Admin.swift) and shared-subscription redelivery
    /// (Broker+SharedRedelivery.swift).
    let router: Router
    /// Connection counter behind status events' channel IDs, and the process start that makes
    /// them unique across restarts.
    private let channelCounter = Atomic<UInt64>(0)
    private let startedAt = WallClock.milliseconds()
    private let loops = LoopContexts()
    /// The session registry; internal for the admin queries too (Broker+Admin.swift).
    let sessions = SessionRegistry()

    /// - Parameter remote: the other nodes of a cluster (DESIGN §10); nil for a single node.
    /// - Parameter matchUnderLock: match every publish in the writers' index under the router's
    ///   lock, as every publish did before each loop had its own copy (issue 12). Not a setting of
    ///   the server: it exists so that `swiftlet bench routing --compare-locked` measures both ways
    ///   in one binary.
    package init(
        configuration: BrokerConfiguration, logger: Logger, store: any SessionStore = MemorySessionStore(),
        remote: (any RemoteRoute)? = nil, matchUnderLock: Bool = false
    ) {
        self.configuration = configuration
        self.logger = logger
        self.store = store
        self.remote = remote
        self.router = Router(matchUnderLock: matchUnderLock, remote: remote)
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
        let (handle, previous) = sessions.withEntry(clientID) { entry in
            let previous = entry
            // A resumed session may still receive messages forwarded from the old loop; until
            // they are through, direct deliveries to the new handle wait (DESIGN §4.7).
            let handle = SessionHandle(
                clientID: clientID, eventLoop: eventLoop, broker: self, loop: loopContext(for: eventLoop),
                awaitingPredecessor: previous != nil && !cleanStart)
            entry = handle
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
            // Each loop matches against its own copy of the index, so the marker waits until every
            // loop's copy has the move: whatever a loop matched to the old handle before is then
            // queued on the old loop ahead of the marker (Router.afterEveryLoopCaughtUp).
            self.router.afterEveryLoopCaughtUp(notifying: previous.eventLoop) {
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
            self.sessions.remove(handle)
            eventLoop.execute { handle.abandon() }
        }
        return opened
    }

    /// What the broker keeps for `eventLoop` (its flusher, counters and queue budget).
    func loopContext(for eventLoop: any EventLoop) -> LoopContext {
        let share = configuration.maxQueuedBytesTotal / max(1, configuration.eventLoopCount)
        return loops.context(for: eventLoop, stats: stats, queueBudget: share, router: router)
    }

    /// The session currently registered for a client ID, if any.
    package func session(clientID: some StringProtocol) -> SessionHandle? {
        sessions.session(String(clientID))
    }

    /// Every registered session, for the rare broker-wide actions (token revocation).
    func registeredSessions() -> [SessionHandle] {
        sessions.all
    }

    /// Called by a session that ended, on its loop. `unacknowledgedShared` are the messages it got
    /// through shared subscriptions and never acknowledged (see Broker+SharedRedelivery.swift).
    func sessionEnded(
        _ handle: SessionHandle, filters: some Collection<String>, reason: String,
        unacknowledgedShared: [OutboundDelivery] = []
    ) {
        sessions.remove(handle)
        // Also forgets the handle's availability mark. The ended member's shared messages are queued
        // for the other members under the router's lock, before any publish that starts after the
        // change can match them (DESIGN §4.7); a publish already under way that matched the ended
        // member hands its message on when it gets there (SessionHandle.deliver).
        let redelivery = router.write { journal in
            journal.unsubscribeAll(handle, filters: filters)
            return unacknowledgedShared.isEmpty ? nil : redeliverShared(unacknowledgedShared, journal: &journal)
        }
        if let redelivery { noteRedelivery(redelivery, from: handle.clientID) }
        logger.debug("session ended", metadata: ["client.id": "\(handle.clientID)", "reason": "\(reason)"])
    }

    func moveSubscriptions(from old: SessionHandle, to new: SessionHandle, filters: some Collection<String>) {
        router.write { journal in
            journal.setAvailable(old, true)  // forgets the old handle
            journal.replace(old, with: new, filters: filters)
        }
    }

    /// A session gained or lost its connection: shared groups prefer members that have one.
    func sessionAvailabilityChanged(_ session: SessionHandle, connected: Bool) {
        router.write { $0.setAvailable(session, connected) }
    }

    // MARK: - Subscriptions

    /// Adds or replaces a subscription. Returns whether it existed before [MQTT-3.8.4-3].
    @discardableResult
    package func subscribe(_ session: SessionHandle, filter: String, options: SubscriptionOptions) -> Bool {
        router.write { $0.subscribe(session, filter: filter, options: options) }
    }

    /// Removes a subscription. Returns whether it existed.
    @discardableResult
    package func unsubscribe(_ session: SessionHandle, filter: String) -> Bool {
        router.write { $0.unsubscribe(session, filter: filter) }
    }

    package var subscriptionCount: Int { router.read { $0.subscriptionCount } }

    // MARK: - Routing

    /// Routes a message to every matching subscriber, or to the one client of a p2p topic.
    /// Returns the number of sessions it was handed to; a message held for a room's batch window
    /// counts as handed to one.
    ///
    /// One index lookup per message (per batch window in a batched room), in the copy of the index
    /// of the loop it runs on, without a lock; matches are grouped by event loop and each loop gets
    /// one task that delivers to all of its subscribers and flushes each connection once (DESIGN
    /// §4.2, §4.3). Tasks on one loop run in submission order, so messages from one publisher reach
    /// each subscriber in publish order (DESIGN §4.7).
    ///
    /// - Parameter loop: where a room's batch window is timed when there is no publisher session
    ///   (a will, the admin API); without either, the window is flushed at once. When it is the
    ///   loop this runs on, the message is matched in its copy of the index.
    @discardableResult
    package func route(
        _ message: RoutedMessage, from publisher: SessionHandle?, now: NIODeadline, on loop: (any EventLoop)? = nil
    ) -> Int {
        // A publisher's own loop wins: the route runs there, and so does its room flush.
        if let publisher {
            return route(message, from: publisher, now: now, context: publisher.loop, on: publisher.eventLoop)
        }
        return route(message, from: nil, now: now, context: currentContext(on: loop), on: loop)
    }

    /// Routes a message that another node of the cluster received (see ``RemoteRoute``) to this
    /// node's subscribers. It is not forwarded again.
    @discardableResult
    package func routeFromRemote(_ message: RoutedMessage, now: NIODeadline, on loop: (any EventLoop)? = nil) -> Int {
        return route(message, from: nil, now: now, context: currentContext(on: loop), on: loop, fromRemote: true)
    }

    /// The context of `loop` when this runs on it and the broker has one: its copy of the index may
    /// be used here. Off the loop, nil (the route matches under the router's lock).
    private func currentContext(on loop: (any EventLoop)?) -> LoopContext? {
        guard let loop, loop.inEventLoop else { return nil }
        return loops.existingContext(for: loop)
    }

    /// ``route(_:from:now:on:)`` on a loop whose context the caller has (a session's will).
    @discardableResult
    func route(_ message: RoutedMessage, from publisher: SessionHandle?, now: NIODeadline, context: LoopContext) -> Int {
        route(message, from: publisher, now: now, context: context, on: context.flusher.eventLoop)
    }

    private func route(
        _ message: RoutedMessage, from publisher: SessionHandle?, now: NIODeadline, context: LoopContext?,
        on loop: (any EventLoop)?, fromRemote: Bool = false
    ) -> Int {
        (publisher?.stats ?? stats).increment(.messagesReceived)
        let remote = fromRemote ? nil : self.remote
        if let target = message.p2pTargetClientID.map({ $0[...] }) ?? P2PTopic.targetClientID(ofTopic: message.topic) {
            // A client connected elsewhere in the cluster is the other nodes' to reach.
            return routeP2P(message, to: target, remote: remote)
        }
        // The other nodes route and batch it for their own subscribers.
        remote?.forward(message)
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
                    if let loop {
                        // The flush runs on this loop: it matches in this loop's copy if there is one.
                        let routes = context?.routes
                        loop.scheduleTask(in: flushIn) { self.flushRoom(topic, routes: routes) }
                    } else {
                        flushRoom(topic, routes: nil)
                    }
                }
                return 1
            case .routeNow:
                break
            }
        }
        return router.dispatch(message, publisher: publisher, routes: context?.routes)
    }

    /// Sends a room's batch window: one index lookup for all of its messages, one task per loop.
    /// Runs under the room table's lock, so windows of one room leave in order (DESIGN §4.7).
    /// - Parameter routes: the copy of the index of the loop this runs on, if any.
    func flushRoom(_ topic: String, routes: LoopRoutes?) {
        rooms.flush(topic: topic) { messages, counters in
            router.dispatch(messages, topic: topic, counters: counters, routes: routes)
        }
    }

    /// A p2p message goes to its target session whether or not it subscribed (DESIGN §5).
    private func routeP2P(_ message: RoutedMessage, to clientID: Substring, remote: (any RemoteRoute)?) -> Int {
        var p2pMessage = message
        // A p2p message is addressed to one client and is never kept as a retained message.
        p2pMessage.retain = false
        let message = p2pMessage
        // Submitted under the lock of the client ID's registry shard: a takeover replaced the
        // handle under that lock before it queued its marker, so a delivery to the old handle is
        // queued ahead of the marker.
        let found = sessions.withEntry(String(clientID)) { entry -> Bool in
            guard let target = entry else { return false }
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
        if !found {
            if let remote {
                remote.forward(message)
                return 1
            }
            stats.increment(.messagesDroppedNoSession)
        }
        return found ? 1 : 0
    }

    /// Publishes a will message as if its client had sent it (MQTT 5 §3.1.2.5).
    func publishWill(_ will: WillMessage, clientID: String, now: NIODeadline, on loop: LoopContext) {
        stats.increment(.willsPublished)
        let publish = PublishPacket(
            topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain,
            properties: will.properties)
        var message = RoutedMessage(publish: publish, receivedAt: now, publisherClientID: clientID)
        // Will properties that only concern the will itself are not forwarded.
        message.properties.removeAll(identifier: Property.willDelayInterval(0).identifier)
        logger.debug("publishing will", metadata: ["client.id": "\(clientID)", "topic": "\(will.topic)"])
        route(message, from: nil, now: now, context: loop)
    }

    // MARK: - Status events (DESIGN §7)

    /// A new channel ID: `{start-ms}-{n}`, increasing within a broker process.
    func nextChannelID() -> ChannelID {
        ChannelID(startedAt: startedAt, number: channelCounter.add(1, ordering: .relaxed).newValue)
    }

    /// Publishes a connect or disconnect event as a QoS 1 broker message on its `$SYS` topic.
    /// Wildcards at the first level never match `$SYS` [MQTT-4.7.2-1], and only `cloud` clients may
    /// subscribe there, so the events reach backends only.
    /// - Parameter session: the session of the connection, if it has one: its loop's context spares
    ///   looking the loop up.
    func publishStatusEvent(_ event: StatusEvent, on loop: (any EventLoop)?, session: SessionHandle? = nil) {
        guard configuration.statusEvents else { return }
        let message = RoutedMessage(
            topic: event.topic, payload: ByteBuffer(string: event.json), qos: .atLeastOnce, retain: false,
            properties: [.payloadFormatIndicator(1), .contentType("application/json")])
        if let session, session.eventLoop.inEventLoop {
            route(message, from: nil, now: session.eventLoop.now, context: session.loop)
        } else {
            route(message, from: nil, now: loop?.now ?? .now(), on: loop)
        }
    }

    // MARK: - Shutdown

    /// Tells every connected client that the server is going away (0x8B for MQTT 5).
    package func shutdown(eventLoopGroup: any EventLoopGroup) -> EventLoopFuture<Void> {
        let all = sessions.all
        let futures = all.map { session in
            session.eventLoop.submit { session.shutdown() }
        }
        return EventLoopFuture.andAllComplete(futures, on: eventLoopGroup.any())
    }
}
