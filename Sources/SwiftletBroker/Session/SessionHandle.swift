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
import DequeModule
import Logging
import NIOCore
import SwiftletMQTT
import Synchronization

/// One client session (MQTT 5 §4.1), confined to one event loop.
///
/// The handle is what the subscription index and the session registry point at. Everything it
/// holds is touched only on `eventLoop` (DESIGN §4.1); other loops reach it with
/// `eventLoop.execute`, which is why it is `@unchecked Sendable`: the checker cannot see loop
/// confinement, every mutating entry point asserts it.
///
/// When a client reconnects on another loop, its state moves to a new handle there and this one
/// becomes a forwarder (`successor`) for messages that were already on their way to it.
package final class SessionHandle: @unchecked Sendable {
    package let clientID: String
    package let eventLoop: any EventLoop
    private let broker: Broker
    /// What the broker keeps for this session's loop: one reference rather than one per part.
    let loop: LoopContext
    /// Flushes this session's connection once per round of fan-out tasks on its loop.
    var flusher: LoopFlusher { loop.flusher }
    /// This loop's shard of the broker's counters.
    var stats: BrokerStats { loop.stats }
    /// This loop's share of the bytes all sessions may queue.
    var queueBudget: QueueBudget { loop.queueBudget }
    /// Set while the flusher holds this session for its next round.
    var flushPending = false
    /// Whether the session has an expiry above 0, readable from any loop: a CONNECT resuming a
    /// persistent session is let in past `max-sessions`, one taking over a clean one is not.
    private let persistent = Atomic<Bool>(false)
    package var isPersistent: Bool { persistent.load(ordering: .relaxed) }

    // MARK: Loop-confined state

    private var state = SessionState()
    /// Readable by the admin queries (SessionHandle+Admin.swift), on this loop.
    private(set) var connection: (any ClientConnection)?
    /// Set once this session's state moved to a newer handle; late deliveries follow it there.
    private var successor: SessionHandle?
    /// Set once a newer connection took this session over (with or without moving its state).
    private var takenOver = false
    /// Set once the session ended (expired, cleaned, or discarded by a clean-start takeover).
    private var ended = false
    private var will: PendingWill?
    private var expiryTimer: Scheduled<Void>?
    /// Whether the first connection is attached; a takeover of this handle waits for it (``ready``),
    /// so that migrations of one client ID never overlap and never overtake an attach. Read from
    /// the loop of the connection taking over, hence the lock.
    private let readiness = Mutex(Readiness.pending(nil))
    /// Deliveries that reached this handle directly while messages forwarded by its predecessor
    /// may still be on their way; replayed behind them once the predecessor's loop has drained
    /// (DESIGN §4.7). nil when nothing is being waited for.
    private var parked: [ParkedDelivery]?
    /// Messages this session lost because its client could not keep up (DESIGN §4.6), in total
    /// and since the last log line about it; the log is rate-limited per session.
    private var droppedTotal = 0
    private var droppedSinceLog = 0
    private var nextDropLog = NIODeadline.uptimeNanoseconds(0)
    /// Set once the slow-consumer policy asked the connection to close.
    private var disconnectingSlowConsumer = false

    private struct ParkedDelivery {
        var message: RoutedMessage
        var qos: QoS
        var retain: Bool
        var subscriptionIdentifiers: [UInt32]
        var sharedSubscription: String?
    }

    /// A class, not a struct: an optional reference is one word in every session, where the will
    /// message, its delay and its timer were about a hundred bytes even in sessions without a will.
    private final class PendingWill {
        let message: WillMessage
        let delay: UInt32
        var timer: Scheduled<Void>?

        init(message: WillMessage, delay: UInt32) {
            self.message = message
            self.delay = delay
        }
    }

    /// The promise a takeover waits on exists only once a takeover asked for it: most sessions are
    /// never taken over, and a promise made for every session cost each an allocation (72 bytes,
    /// kept for the session's life) on the connection set-up path.
    private enum Readiness {
        case pending(EventLoopPromise<Void>?)
        case ready
    }

    /// - Parameter awaitingPredecessor: the handle takes over a session whose messages may still
    ///   be forwarded from another loop; direct deliveries wait for ``predecessorDrained()``.
    init(
        clientID: String, eventLoop: any EventLoop, broker: Broker, loop: LoopContext,
        awaitingPredecessor: Bool = false
    ) {
        self.clientID = clientID
        self.eventLoop = eventLoop
        self.broker = broker
        self.loop = loop
        self.parked = awaitingPredecessor ? [] : nil
    }

    package var ready: EventLoopFuture<Void> {
        readiness.withLock { readiness in
            switch readiness {
            case .ready:
                return eventLoop.makeSucceededVoidFuture()
            case .pending(let promise?):
                return promise.futureResult
            case .pending(nil):
                let promise = eventLoop.makePromise(of: Void.self)
                readiness = .pending(promise)
                return promise.futureResult
            }
        }
    }

    // MARK: - Lifecycle

    /// Installs the state moved from a previous handle (nil for a new session). Messages that
    /// reached this handle in the meantime stay queued behind the moved ones.
    func install(_ migrated: SessionState?) {
        eventLoop.preconditionInEventLoop()
        if var migrated {
            // The moved queue now counts against this loop's budget (released on the old one).
            chargeQueue(migrated.queuedBytes)
            if migrated.expiryInterval > 0 {
                stats.increment(.persistentSessions)
                persistent.store(true, ordering: .relaxed)
            }
            migrated.absorb(queuedFrom: state)
            state = migrated
        }
    }

    /// Every message the predecessor's loop had queued for the old handle has been forwarded
    /// here: deliveries that arrived directly in the meantime may go now, behind them.
    func predecessorDrained() {
        eventLoop.preconditionInEventLoop()
        guard let waiting = parked else { return }
        parked = nil
        let now = eventLoop.now
        for item in waiting {
            var cache = PublishEncodingCache()
            deliver(
                item.message, qos: item.qos, retain: item.retain,
                subscriptionIdentifiers: item.subscriptionIdentifiers, now: now, cache: &cache,
                sharedSubscription: item.sharedSubscription)
        }
        connection?.flushIfNeeded()
    }

    /// Opening the session failed before a connection could attach: let later takeovers go on.
    func abandon() {
        eventLoop.preconditionInEventLoop()
        ended = true
        parked = nil
        markReady()
    }

    private func markReady() {
        let waiting: EventLoopPromise<Void>? = readiness.withLock { readiness in
            guard case .pending(let promise) = readiness else { return nil }
            readiness = .ready
            return promise
        }
        waiting?.succeed()
    }

    /// Attaches a new network connection (after CONNACK was decided).
    /// - Parameters:
    ///   - expiryInterval: the Session Expiry Interval granted for this connection.
    ///   - will: the connection's will message, if any, and its delay.
    package func attach(_ connection: any ClientConnection, expiryInterval: UInt32, will: WillMessage?, willDelay: UInt32) {
        eventLoop.preconditionInEventLoop()
        self.connection = connection
        disconnectingSlowConsumer = false
        if state.expiryInterval > 0 && expiryInterval == 0 {
            // Connecting without expiry ends the stored session: it will not outlive this connection.
            broker.store.sessionEnded(clientID: clientID)
        }
        setExpiryInterval(expiryInterval)
        if expiryInterval > 0 {
            broker.store.sessionOpened(clientID: clientID, expiryInterval: expiryInterval)
        }
        expiryTimer?.cancel()
        expiryTimer = nil
        self.will = will.map { PendingWill(message: $0, delay: willDelay) }
        broker.sessionAvailabilityChanged(self, connected: true)
        markReady()
    }

    /// Sends what the session owes its new connection: unacknowledged PUBLISH packets again with
    /// DUP set, and PUBREL for those already received [MQTT-4.4.0-1], then queued messages
    /// (including any that reached the session while the connection was being set up).
    package func resumeDelivery() {
        eventLoop.preconditionInEventLoop()
        guard let connection else { return }
        let now = eventLoop.now
        var cache = PublishEncodingCache()
        for entry in state.inflight {
            let packetID = entry.packetID
            switch entry.phase {
            case .awaitingAcknowledgement:
                // DUP is set on redelivery [MQTT-3.3.1-1]; the packet identifier stays the same.
                if !connection.writePublish(entry.delivery, packetID: packetID, dup: true, now: now, cache: &cache) {
                    // Too large for the new connection: discarded as if delivered [MQTT-3.1.2-25].
                    state.completeInflight(packetID)
                    stats.increment(.messagesDroppedTooLarge)
                }
            case .awaitingCompletion:
                connection.writePacket(.pubrel(AckPacket(packetID: packetID)))
            }
        }
        drainQueue(now: now)
        connection.flushIfNeeded()
    }

    /// Flushes the attached connection if anything was written to it.
    package func flushConnection() {
        eventLoop.assertInEventLoop()
        connection?.flushIfNeeded()
    }

    /// The connection closed. `publishWill` is false after a normal DISCONNECT [MQTT-3.14.4-3].
    package func connectionClosed(_ closed: any ClientConnection, publishWill: Bool) {
        eventLoop.preconditionInEventLoop()
        // A taken-over connection closes after its session moved on: nothing left to do.
        guard let connection, connection === closed else { return }
        self.connection = nil
        if !publishWill { will = nil }

        if state.expiryInterval == 0 {
            end(reason: "connection closed, session expiry 0")
            return
        }
        // The session stays, offline: shared groups pass its turns to connected members.
        broker.sessionAvailabilityChanged(self, connected: false)
        let expiry = TimeAmount.seconds(Int64(state.expiryInterval))
        if state.expiryInterval != UInt32.max {
            expiryTimer = eventLoop.scheduleTask(in: expiry) { [self] in
                self.expiryTimer = nil
                self.end(reason: "session expired")
            }
        }
        if let pending = will {
            if pending.delay == 0 {
                self.publishWill()
            } else {
                // The will waits for its delay or for the session's end, whichever is first
                // [MQTT-3.1.3-9]; end() publishes it if the session ends first.
                pending.timer = eventLoop.scheduleTask(in: .seconds(Int64(pending.delay))) { [self] in
                    self.publishWill()
                }
            }
        }
    }

    /// A newer connection of the same client ID takes this session over (MQTT 5 §3.1.4 step 2).
    /// Returns the state to move to `newHandle`, or nil if the session ends instead.
    func takeOver(by newHandle: SessionHandle, cleanStart: Bool) -> SessionState? {
        eventLoop.preconditionInEventLoop()
        precondition(!takenOver, "Internal inconsistency: a session was taken over twice")
        takenOver = true
        guard !ended else { return nil }
        expiryTimer?.cancel()
        expiryTimer = nil

        let hadConnection = connection != nil
        if let connection {
            self.connection = nil
            connection.sessionTakenOver()
        }
        // The old connection's will goes out when it had no delay, or when this takeover ends the
        // session; a delayed will is cancelled by the new connection [MQTT-3.1.3-9].
        if let pending = will {
            pending.timer?.cancel()
            if cleanStart || state.expiryInterval == 0 || (hadConnection && pending.delay == 0) {
                publishWill()
            }
            will = nil
        }
        if cleanStart || state.expiryInterval == 0 {
            end(reason: "taken over with clean start")
            return nil
        }
        let moved = state
        // The state leaves this loop: its queue and its persistence count on the new handle's.
        releaseWholeQueue()
        if state.expiryInterval > 0 { stats.increment(.persistentSessions, by: -1) }
        persistent.store(false, ordering: .relaxed)
        state = SessionState()
        // Only a moved session forwards: after a clean start, messages matched under the old
        // subscriptions must not reach the new, clean session.
        successor = newHandle
        broker.moveSubscriptions(from: self, to: newHandle, filters: moved.subscriptions.keys)
        return moved
    }

    /// Ends the session: its subscriptions go, a pending will is published, queued messages are
    /// dropped.
    private func end(reason: String) {
        guard !ended else { return }
        ended = true
        if state.expiryInterval > 0 { broker.store.sessionEnded(clientID: clientID) }
        expiryTimer?.cancel()
        expiryTimer = nil
        if will != nil { publishWill() }
        // Sent to the other members once this session's subscriptions are gone (MQTT 5 §4.8.2).
        broker.sessionEnded(
            self, filters: state.subscriptions.keys, reason: reason,
            unacknowledgedShared: state.unacknowledgedSharedDeliveries())
        releaseWholeQueue()
        setExpiryInterval(0)
        state = SessionState()
    }

    private func publishWill() {
        guard let pending = will else { return }
        will = nil
        pending.timer?.cancel()
        broker.publishWill(pending.message, clientID: clientID, now: eventLoop.now, on: loop)
    }

    /// The broker is going down: tell the client.
    package func shutdown() {
        eventLoop.preconditionInEventLoop()
        connection?.disconnect(reason: .serverShuttingDown, reasonString: "server shutting down")
    }

    // MARK: - Subscriptions (called by the connection on this loop)

    package var subscriptions: [String: SubscriptionOptions] {
        eventLoop.preconditionInEventLoop()
        return state.subscriptions
    }

    package func recordSubscription(_ filter: String, options: SubscriptionOptions) {
        eventLoop.preconditionInEventLoop()
        state.subscriptions[filter] = options
        if state.expiryInterval > 0 {
            broker.store.subscriptionAdded(clientID: clientID, filter: filter, options: options)
        }
    }

    @discardableResult
    package func removeSubscription(_ filter: String) -> Bool {
        eventLoop.preconditionInEventLoop()
        guard state.subscriptions.removeValue(forKey: filter) != nil else { return false }
        if state.expiryInterval > 0 { broker.store.subscriptionRemoved(clientID: clientID, filter: filter) }
        return true
    }

    /// Session Expiry Interval changed by DISCONNECT (MQTT 5 §3.14.2.2.2).
    package func updateExpiryInterval(_ seconds: UInt32) {
        eventLoop.preconditionInEventLoop()
        if seconds > 0 {
            broker.store.sessionOpened(clientID: clientID, expiryInterval: seconds)
        } else if state.expiryInterval > 0 {
            broker.store.sessionEnded(clientID: clientID)
        }
        setExpiryInterval(seconds)
    }

    /// Sets the expiry and keeps the count of persistent sessions (`max-sessions`) in step.
    private func setExpiryInterval(_ seconds: UInt32) {
        if (state.expiryInterval > 0) != (seconds > 0) {
            stats.increment(.persistentSessions, by: seconds > 0 ? 1 : -1)
        }
        persistent.store(seconds > 0, ordering: .relaxed)
        state.expiryInterval = seconds
    }

    package func discardWill() {
        eventLoop.preconditionInEventLoop()
        will?.timer?.cancel()
        will = nil
    }

    // MARK: - Inbound QoS 2 (MQTT 5 §4.3.3, receiver side)

    /// Records a received QoS 2 packet identifier. Returns false if it was already recorded, in
    /// which case the message must not be routed again [MQTT-4.3.3-10].
    package func receivedQoS2(_ packetID: UInt16) -> Bool {
        eventLoop.preconditionInEventLoop()
        return state.inboundQoS2.insert(packetID).inserted
    }

    package func hasReceivedQoS2(_ packetID: UInt16) -> Bool {
        eventLoop.preconditionInEventLoop()
        return state.inboundQoS2.contains(packetID)
    }

    /// PUBREL arrived: the identifier is released. Returns whether it was known.
    package func releasedQoS2(_ packetID: UInt16) -> Bool {
        eventLoop.preconditionInEventLoop()
        return state.inboundQoS2.remove(packetID) != nil
    }

    package var inboundQoS2Count: Int {
        eventLoop.preconditionInEventLoop()
        return state.inboundQoS2.count
    }

    // MARK: - Outbound flow (MQTT 5 §4.3, §4.9)

    /// Delivers one message to this session. Returns true if something was written to the
    /// connection (the caller flushes once per batch).
    @discardableResult
    package func deliver(
        _ message: RoutedMessage,
        qos: QoS,
        retain: Bool,
        subscriptionIdentifiers: [UInt32],
        now: NIODeadline,
        cache: inout PublishEncodingCache,
        forwarded: Bool = false,
        sharedSubscription: String? = nil
    ) -> Bool {
        // Per delivery: checked in debug builds (the thread check is not free), by construction
        // in release (Broker delivers on the session's loop only).
        eventLoop.assertInEventLoop()
        guard !ended else {
            if let sharedSubscription, qos != .atMostOnce {
                // Matched to this member before its session ended (MQTT 5 §4.8.2): another member takes it.
                broker.redeliverShared(
                    [OutboundDelivery(
                        message: message, qos: qos, retain: retain, subscriptionIdentifiers: subscriptionIdentifiers,
                        sharedSubscription: sharedSubscription)],
                    from: clientID)
            }
            return false
        }
        if let successor {
            // The session moved to another loop while this message was on its way here.
            successor.eventLoop.execute {
                var cache = PublishEncodingCache()
                successor.deliver(
                    message, qos: qos, retain: retain, subscriptionIdentifiers: subscriptionIdentifiers,
                    now: successor.eventLoop.now, cache: &cache, forwarded: true, sharedSubscription: sharedSubscription)
                successor.connection?.flushIfNeeded()
            }
            return false
        }
        if !forwarded, parked != nil {
            parked?.append(
                ParkedDelivery(
                    message: message, qos: qos, retain: retain, subscriptionIdentifiers: subscriptionIdentifiers,
                    sharedSubscription: sharedSubscription))
            return false
        }
        if message.isExpired(now: now) {
            // [MQTT-3.3.2-5]
            stats.increment(.messagesDroppedExpired)
            return false
        }
        if qos == .atMostOnce {
            guard let connection else {
                if broker.configuration.queueQoS0Offline {
                    enqueue(
                        OutboundDelivery(
                            message: message, qos: qos, retain: retain, subscriptionIdentifiers: subscriptionIdentifiers))
                }
                return false
            }
            guard connection.isWritable else {
                // A slow consumer loses QoS 0 messages, never other clients' time (DESIGN §4.6).
                stats.increment(.messagesDroppedNotWritable)
                noteDropped(1, room: message.room, reason: "connection not writable")
                return false
            }
            // Written from the message itself: no per-subscriber copy of it on this path.
            if connection.writePublish(
                message, qos: qos, retain: retain, subscriptionIdentifiers: subscriptionIdentifiers, packetID: nil,
                dup: false, now: now, cache: &cache)
            {
                stats.increment(.messagesSent)
            } else {
                stats.increment(.messagesDroppedTooLarge)
            }
            return true
        }

        let delivery = OutboundDelivery(
            message: message, qos: qos, retain: retain, subscriptionIdentifiers: subscriptionIdentifiers,
            sharedSubscription: sharedSubscription)
        if let connection, state.queue.isEmpty, connection.isWritable, state.inflightCount < connection.sendWindow,
            fitsHeldBytes(delivery)
        {
            send(delivery, on: connection, now: now, cache: &cache)
            return true
        }
        enqueue(delivery)
        return false
    }

    /// Whether the session may hold `delivery` too, queued or in flight (`max-queued-bytes`). A
    /// session holding nothing takes any one message, so that a message larger than the limit (but
    /// within the packet size) still gets through.
    private func fitsHeldBytes(_ delivery: OutboundDelivery) -> Bool {
        state.heldBytes == 0 || state.heldBytes + delivery.message.byteCost <= broker.configuration.maxQueuedBytes
    }

    private func enqueue(_ delivery: OutboundDelivery) {
        let cost = delivery.message.byteCost
        let overBytes = !fitsHeldBytes(delivery)
        guard state.queue.count < broker.configuration.maxQueuedMessages, !overBytes else {
            stats.increment(overBytes ? .messagesDroppedQueueBytes : .messagesDroppedQueueFull)
            noteDropped(1, room: delivery.message.room, reason: overBytes ? "session bytes full" : "session queue full")
            if let connection, broker.configuration.slowConsumerPolicy == .disconnect, !disconnectingSlowConsumer {
                disconnectingSlowConsumer = true
                stats.increment(.slowConsumersDisconnected)
                broker.logger.info(
                    "slow consumer disconnected: session queue full",
                    metadata: [
                        "client.id": "\(clientID)", "queued": "\(state.queue.count)", "held.bytes": "\(state.heldBytes)",
                    ])
                // Not from inside the delivery loop that is still walking this loop's subscribers.
                let target = NIOLoopBound(connection, eventLoop: eventLoop)
                eventLoop.execute {
                    target.value.disconnect(reason: .quotaExceeded, reasonString: "too slow: session queue full")
                }
            }
            return
        }
        guard queueBudget.makeRoom(for: cost) else {
            // Nothing left to evict on this loop: the new message gives way.
            stats.increment(.messagesDroppedQueueBudget)
            noteDropped(1, room: delivery.message.room, reason: "broker queue budget full")
            return
        }
        state.enqueue(delivery)
        chargeQueue(cost)
    }

    /// Takes the next queued message, releasing its bytes.
    private func dequeue() -> OutboundDelivery? {
        guard let next = state.dequeue() else { return nil }
        releaseQueue(next.message.byteCost)
        return next
    }

    private func chargeQueue(_ bytes: Int) {
        guard bytes != 0 else { return }
        queueBudget.charge(bytes, to: self)
        stats.increment(.queuedBytes, by: bytes)
    }

    private func releaseQueue(_ bytes: Int) {
        guard bytes != 0 else { return }
        queueBudget.release(bytes, from: self, queueEmpty: state.queue.isEmpty)
        stats.increment(.queuedBytes, by: -bytes)
    }

    /// The whole queue leaves this handle (the session ends, or moves to another loop): the
    /// budget forgets it, holder included.
    private func releaseWholeQueue() {
        let bytes = state.queuedBytes
        queueBudget.release(bytes, from: self, queueEmpty: true)
        if bytes != 0 { stats.increment(.queuedBytes, by: -bytes) }
    }

    /// What this session's queue counts against its loop's budget.
    var queuedBytesForBudget: Int { state.queuedBytes }

    /// The loop's queue budget is full and this queue is among the largest: its oldest messages
    /// go until it holds at most `level` bytes (QueueBudget).
    func evictQueued(downTo level: Int) {
        eventLoop.assertInEventLoop()
        var evicted = 0
        while state.queuedBytes > level, let oldest = dequeue() {
            evicted += 1
            // Also a message of a shared subscription: handing it to another member from here
            // could land it back in this loop's full budget.
            noteDropped(1, room: oldest.message.room, reason: "broker queue budget full")
        }
        stats.increment(.messagesDroppedQueueBudget, by: evicted)
    }

    /// Counts messages this session lost and logs it, at most once per ``dropLogInterval``.
    private func noteDropped(_ count: Int, room: RoomCounters?, reason: String) {
        droppedTotal += count
        droppedSinceLog += count
        room?.droppedForSlowConsumer(count)
        let now = eventLoop.now
        guard now >= nextDropLog else { return }
        broker.logger.info(
            "slow consumer: messages dropped",
            metadata: [
                "client.id": "\(clientID)", "dropped": "\(droppedSinceLog)", "dropped.total": "\(droppedTotal)",
                "reason": "\(reason)",
            ])
        droppedSinceLog = 0
        nextDropLog = now + Self.dropLogInterval
    }

    static let dropLogInterval = TimeAmount.seconds(10)

    // MARK: - Room batches

    /// How a batch window went to this session.
    package enum BatchDeliveryResult {
        /// Written as one shared buffer; flush the connection.
        case written
        /// Dropped (the connection is not writable) or nothing left to send (all expired).
        case dropped
        /// The session needs the messages one by one: it is offline, moving, uses topic aliases,
        /// has a small Maximum Packet Size, or no-local applies to one of the messages.
        case unshareable
    }

    /// Delivers a room's batch window as QoS 0 in one write of the shared bytes.
    /// - Parameter checkNoLocal: false for a shared subscription, which cannot have No Local
    ///   [MQTT-3.8.3-4].
    func deliverBatch(
        _ batch: inout SharedPublishBatch, retainAsPublished: Bool, checkNoLocal: Bool
    ) -> BatchDeliveryResult {
        eventLoop.assertInEventLoop()
        guard !ended, successor == nil, parked == nil, let connection, connection.acceptsSharedPublishes else {
            return .unshareable
        }
        if checkNoLocal, batch.hasMessage(from: clientID), suppressesOwnMessages(topic: batch.topic) {
            return .unshareable
        }
        let encoded = batch.encoded(isMQTT5: connection.protocolVersion == .v5, retainAsPublished: retainAsPublished)
        guard encoded.count > 0 else { return .dropped }
        guard encoded.largestPacket <= connection.maximumPacketSize else { return .unshareable }
        guard connection.isWritable else {
            stats.increment(.messagesDroppedNotWritable, by: encoded.count)
            noteDropped(encoded.count, room: batch.room, reason: "connection not writable")
            return .dropped
        }
        connection.writeShared(encoded.bytes)
        stats.increment(.messagesSent, by: encoded.count)
        return .written
    }

    /// Whether this session's own messages on `topic` must not come back to it: every one of its
    /// subscriptions that matches has No Local set [MQTT-3.8.3-3].
    func suppressesOwnMessages(topic: String) -> Bool {
        eventLoop.preconditionInEventLoop()
        var matchedWithNoLocal = false
        // Shared subscriptions cannot have No Local [MQTT-3.8.3-4] and are separate matches.
        for (filter, options) in state.subscriptions {
            guard case .plain = SharedSubscriptionFilter.parse(filter), Topic.matches(filter: filter, topic: topic) else {
                continue
            }
            guard options.noLocal else { return false }
            matchedWithNoLocal = true
        }
        return matchedWithNoLocal
    }

    private func send(
        _ delivery: consuming OutboundDelivery, on connection: any ClientConnection, now: NIODeadline,
        cache: inout PublishEncodingCache
    ) {
        // The message's shared identifier where this session has it free: then the PUBLISH bytes
        // encoded for the first subscriber serve this one too (PublishEncodingCache).
        guard let packetID = state.allocatePacketID(preferring: cache.sharedPacketID) else {
            enqueue(delivery)
            return
        }
        if cache.sharedPacketID == nil { cache.sharedPacketID = packetID }
        // Written before it is recorded, so that the delivery moves into the window uncopied.
        guard connection.writePublish(delivery, packetID: packetID, dup: false, now: now, cache: &cache) else {
            // Too large for this client: discarded as if sent and acknowledged [MQTT-3.1.2-24].
            stats.increment(.messagesDroppedTooLarge)
            return
        }
        stats.increment(.messagesSent)
        state.addInflight(delivery, packetID: packetID)
    }

    /// Moves queued messages into the send window while the connection can take them.
    /// Returns whether anything was written.
    @discardableResult
    package func drainQueue(now: NIODeadline) -> Bool {
        eventLoop.preconditionInEventLoop()
        guard let connection else { return false }
        var wrote = false
        var cache = PublishEncodingCache()
        while let next = state.queue.first, connection.isWritable {
            if next.qos != .atMostOnce && state.inflightCount >= connection.sendWindow { break }
            _ = dequeue()
            if next.message.isExpired(now: now) {
                stats.increment(.messagesDroppedExpired)
                continue
            }
            if next.qos == .atMostOnce {
                let written = connection.writePublish(next, packetID: nil, dup: false, now: now, cache: &cache)
                stats.increment(written ? .messagesSent : .messagesDroppedTooLarge)
            } else {
                send(next, on: connection, now: now, cache: &cache)
            }
            cache = PublishEncodingCache()
            wrote = true
        }
        return wrote
    }

    /// PUBACK received. Returns whether the identifier was awaiting one.
    package func pubAckReceived(_ packetID: UInt16) -> Bool {
        eventLoop.preconditionInEventLoop()
        guard let status = state.inflightStatus(packetID), status.phase == .awaitingAcknowledgement,
            status.qos == .atLeastOnce
        else { return false }
        state.completeInflight(packetID)
        drainQueue(now: eventLoop.now)
        return true
    }

    /// PUBREC received: answer PUBREL, or give up on the message if the client refused it
    /// (reason code 0x80 or more, MQTT 5 §4.3.3). Returns whether the identifier was known.
    package func pubRecReceived(_ packetID: UInt16, reasonCode: ReasonCode) -> Bool {
        eventLoop.preconditionInEventLoop()
        guard state.inflightStatus(packetID)?.qos == .exactlyOnce else { return false }
        if reasonCode.isFailure {
            state.completeInflight(packetID)
            drainQueue(now: eventLoop.now)
            return true
        }
        // A repeated PUBREC is answered with PUBREL again [MQTT-4.3.3-4].
        state.setPhase(.awaitingCompletion, packetID: packetID)
        connection?.writePacket(.pubrel(AckPacket(packetID: packetID)))
        return true
    }

    /// PUBCOMP received. Returns whether the identifier was awaiting one.
    package func pubCompReceived(_ packetID: UInt16) -> Bool {
        eventLoop.preconditionInEventLoop()
        guard state.inflightPhase(packetID) == .awaitingCompletion else { return false }
        state.completeInflight(packetID)
        drainQueue(now: eventLoop.now)
        return true
    }

    /// The transport became writable again: send what waited.
    package func connectionBecameWritable() {
        eventLoop.preconditionInEventLoop()
        if drainQueue(now: eventLoop.now) { connection?.flushIfNeeded() }
    }

    // MARK: - Introspection for tests and stats

    package var queuedCount: Int {
        eventLoop.preconditionInEventLoop()
        return state.queue.count
    }

    package var inflightCount: Int {
        eventLoop.preconditionInEventLoop()
        return state.inflightCount
    }

    /// Messages this session lost because its client could not keep up.
    package var droppedCount: Int {
        eventLoop.preconditionInEventLoop()
        return droppedTotal
    }
}

extension SessionHandle: Hashable {
    package static func == (lhs: SessionHandle, rhs: SessionHandle) -> Bool { lhs === rhs }
    package func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
