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
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SwiftletAuth
import SwiftletClient
import SwiftletMQTT

/// The connection behind a ``CloudClient``: one MQTT 5 connection at a time, reopened with backoff when it is lost,
/// its consumers subscribed again each time.
///
/// Confined to one event loop (STYLE §8.4); ``CloudClient`` reaches it through a `NIOLoopBoundBox`.
final class CloudSession: MQTTClientDelegate {
    /// Where a consumer's messages go.
    enum Sink {
        case messages(AsyncStream<CloudMessage>.Continuation)
        case statusEvents(AsyncStream<CloudStatusEvent>.Continuation)
    }

    struct Consumer {
        /// The filter as subscribed, possibly `$share/{group}/…`.
        var filter: String
        /// The filter without its `$share/{group}/` prefix, to match p2p messages that carry no Subscription
        /// Identifier.
        var matchFilter: String
        /// User properties of the SUBSCRIBE (`share-strategy`).
        var userProperties: [(String, String)]
        var sink: Sink
        /// Completed by the first SUBACK.
        var subscribed: EventLoopPromise<Void>?
    }

    let configuration: CloudConfiguration
    let eventLoop: any EventLoop
    private let resources = MQTTClientLoopResources()
    private var address: SocketAddress?
    private var connection: MQTTClientConnection?
    /// Tags connections: events and acknowledgements of an older connection are ignored.
    private var generation = 0
    private var closed = false
    private var connectPromise: EventLoopPromise<Void>?
    private var closePromise: EventLoopPromise<Void>?
    private var reconnectDelay: TimeAmount
    private var reconnectTask: Scheduled<Void>?
    /// By Subscription Identifier (MQTT 5 §3.8.2.1.2): the broker echoes it on every message a subscription brings.
    private var consumers: [UInt32: Consumer] = [:]
    private var nextSubscriptionID: UInt32 = 1
    /// SUBSCRIBE packet identifier → Subscription Identifier.
    private var pendingSubscriptions: [UInt16: UInt32] = [:]
    /// Outbound QoS 1/2 messages waiting for PUBACK/PUBCOMP.
    private var pendingSends: [UInt16: EventLoopPromise<CloudSendResult>] = [:]
    /// Inbound QoS 1 messages waiting for the application's ack(): packet identifier → the message's serial, so
    /// that a late second ack() cannot acknowledge a newer message that reuses the identifier, and the consumer it
    /// went to (nil: none wanted it).
    private var awaitingAck: [UInt16: (serial: UInt64, consumer: UInt32?)] = [:]
    /// UNSUBSCRIBEs sent for cancelled consumers and not answered yet.
    private var pendingUnsubscribes = 0
    private var nextSerial: UInt64 = 0

    /// Made once at start(), from ``CloudConfiguration/tls``.
    private var tls: MQTTClientConfiguration.TLS?

    init(configuration: CloudConfiguration, eventLoop: any EventLoop) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.reconnectDelay = TimeAmount(configuration.reconnectInitialDelay)
    }

    // MARK: - Connecting

    /// Opens the first connection; the future completes on its CONNACK, or fails if it is refused.
    func start(address: SocketAddress) -> EventLoopFuture<Void> {
        self.eventLoop.preconditionInEventLoop()
        guard !self.closed else {
            return self.eventLoop.makeFailedFuture(CloudError(.closed, "the client was closed"))
        }
        guard self.address == nil else {
            return self.eventLoop.makeFailedFuture(CloudError(.invalidArgument, "connect() was already called"))
        }
        if let settings = self.configuration.tls {
            do {
                var tls = TLSConfiguration.makeClientConfiguration()
                if let file = settings.trustRootsFile {
                    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(file))
                }
                let hostname = settings.serverHostname ?? self.configuration.host
                // SNI carries names only, never IP addresses (RFC 6066 §3); the certificate check still applies.
                let sni = (try? SocketAddress(ipAddress: hostname, port: 0)) == nil ? hostname : nil
                self.tls = MQTTClientConfiguration.TLS(context: try NIOSSLContext(configuration: tls), serverHostname: sni)
            } catch {
                return self.eventLoop.makeFailedFuture(CloudError(.invalidArgument, "TLS set-up failed: \(error)"))
            }
        }
        self.address = address
        let promise = self.eventLoop.makePromise(of: Void.self)
        self.connectPromise = promise
        self.openConnection()
        return promise.futureResult
    }

    private func openConnection() {
        guard !self.closed, let address else { return }
        self.generation += 1
        let configuration = self.configuration
        var mqtt = MQTTClientConfiguration(
            clientID: configuration.clientID,
            version: .v5,
            keepAlive: configuration.keepAlive,
            // A clean session without expiry: when this process dies its session ends at once, and the broker
            // gives its unacknowledged shared messages to the other members of the group (MQTT 5 §4.8.2).
            cleanStart: true,
            username: "Signature|\(configuration.accessKeyID)|\(configuration.instanceID)",
            password: Signature.password(secretKey: configuration.secretKey, clientID: configuration.clientID),
            connectTimeout: TimeAmount(configuration.connectTimeout))
        mqtt.manualAcknowledgement = true
        mqtt.tls = self.tls
        mqtt.connectProperties = [.receiveMaximum(max(configuration.receiveMaximum, 1))]
        MQTTClientConnection.connect(
            to: address, bindingTo: nil, configuration: mqtt, resources: self.resources, delegate: self,
            tag: self.generation, on: self.eventLoop)
    }

    private func connectionLost(tag: Int, error: (any Error)?) {
        guard tag == self.generation else { return }
        self.connection = nil
        self.awaitingAck.removeAll()
        self.pendingUnsubscribes = 0
        self.pendingSubscriptions.removeAll()
        let sends = self.pendingSends
        self.pendingSends.removeAll()
        for promise in sends.values {
            promise.fail(CloudError(.connectionFailed, "the connection was lost before the broker acknowledged"))
        }
        if let closePromise {
            self.closePromise = nil
            closePromise.succeed()
        }
        if let connectPromise {
            // The first connection failed: tell connect(), which may be called again; no retry behind its back.
            self.connectPromise = nil
            self.address = nil
            self.finishConsumers()
            let why = error.map { "\($0)" } ?? "closed"
            connectPromise.fail(CloudError(.connectionFailed, "could not connect: \(why)"))
            return
        }
        guard !self.closed else { return }
        // Reconnect with exponential backoff.
        let delay = self.reconnectDelay
        self.reconnectDelay = min(delay * 2, TimeAmount(self.configuration.reconnectMaximumDelay))
        self.reconnectTask = self.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            self.reconnectTask = nil
            self.openConnection()
        }
    }

    /// Sends DISCONNECT and stops reconnecting; the future completes once the connection is closed.
    func close() -> EventLoopFuture<Void> {
        self.eventLoop.preconditionInEventLoop()
        self.closed = true
        self.reconnectTask?.cancel()
        self.reconnectTask = nil
        self.finishConsumers()
        guard let connection else { return self.eventLoop.makeSucceededVoidFuture() }
        let promise = self.closePromise ?? self.eventLoop.makePromise()
        self.closePromise = promise
        connection.disconnect()
        return promise.futureResult
    }

    private func finishConsumers() {
        let all = self.consumers
        self.consumers.removeAll()
        let reason =
            self.closed ? CloudError(.closed, "the client was closed") : CloudError(.connectionFailed, "not connected")
        for consumer in all.values {
            consumer.subscribed?.fail(reason)
            switch consumer.sink {
            case .messages(let continuation): continuation.finish()
            case .statusEvents(let continuation): continuation.finish()
            }
        }
    }

    // MARK: - Consumers

    /// Adds a consumer and subscribes it now or on the next connection. The future completes on its SUBACK.
    func addConsumer(
        filter: String, matchFilter: String, userProperties: [(String, String)], sink: Sink
    ) -> (id: UInt32, subscribed: EventLoopFuture<Void>) {
        self.eventLoop.preconditionInEventLoop()
        let id = self.nextSubscriptionID
        self.nextSubscriptionID += 1
        let promise = self.eventLoop.makePromise(of: Void.self)
        guard !self.closed else {
            promise.fail(CloudError(.closed, "the client was closed"))
            return (id, promise.futureResult)
        }
        guard self.address != nil else {
            // Never connected: nothing would ever subscribe it. While reconnecting it waits for the connection.
            promise.fail(CloudError(.notConnected, "call connect() first"))
            return (id, promise.futureResult)
        }
        guard !self.consumers.values.contains(where: { $0.filter == filter }) else {
            // A second SUBSCRIBE to the same filter would replace the first one's subscription [MQTT-3.8.4-3].
            promise.fail(CloudError(.invalidArgument, "already consuming \(filter)"))
            return (id, promise.futureResult)
        }
        self.consumers[id] = Consumer(
            filter: filter, matchFilter: matchFilter, userProperties: userProperties, sink: sink, subscribed: promise)
        self.subscribe(id)
        return (id, promise.futureResult)
    }

    /// The application stopped iterating: UNSUBSCRIBE.
    func removeConsumer(_ id: UInt32) {
        guard let consumer = self.consumers.removeValue(forKey: id) else { return }
        consumer.subscribed?.fail(CloudError(.closed, "the consumer was cancelled"))
        if self.connection?.unsubscribe([consumer.filter]) != nil {
            self.pendingUnsubscribes += 1
        } else {
            self.recycleIfOrphaned()
        }
    }

    /// Messages that went to a consumer that no longer exists (cancelled with messages in its stream, or
    /// arriving before the broker saw the UNSUBSCRIBE) were not processed, so they are never acknowledged: MQTT
    /// has no negative acknowledgement, and the only way to hand them back is to end the session. Once no
    /// UNSUBSCRIBE is pending, the connection is closed (Session Expiry 0: the session ends) and opened again, and
    /// the broker gives those messages to other members of their groups (MQTT 5 §4.8.2).
    private func recycleIfOrphaned() {
        guard self.pendingUnsubscribes == 0, let connection else { return }
        let orphaned = self.awaitingAck.values.contains { entry in
            entry.consumer.map { self.consumers[$0] == nil } ?? true
        }
        guard orphaned else { return }
        connection.disconnect()
    }

    private func subscribe(_ id: UInt32) {
        guard let connection, let consumer = self.consumers[id] else { return }
        var properties: Properties = [.subscriptionIdentifier(id)]
        for (name, value) in consumer.userProperties { properties.append(.userProperty(name, value)) }
        let request = SubscriptionRequest(topicFilter: consumer.filter, qos: .atLeastOnce)
        if let packetID = connection.subscribe([request], properties: properties) {
            self.pendingSubscriptions[packetID] = id
        }
    }

    // MARK: - Sending

    /// Publishes; for QoS 1/2 the future completes on the broker's acknowledgement and fails on a refusal.
    func send(
        topic: String, payload: ByteBuffer, qos: QoS, retain: Bool, properties: Properties
    ) -> EventLoopFuture<CloudSendResult> {
        self.eventLoop.preconditionInEventLoop()
        guard let connection, connection.isConnected else {
            return self.eventLoop.makeFailedFuture(CloudError(.notConnected, "not connected"))
        }
        switch connection.publish(topic: topic, payload: payload, qos: qos, retain: retain, properties: properties) {
        case .send(nil):
            return self.eventLoop.makeSucceededFuture(CloudSendResult(reachedSubscribers: nil))
        case .send(let packetID?):
            let promise = self.eventLoop.makePromise(of: CloudSendResult.self)
            self.pendingSends[packetID] = promise
            return promise.futureResult
        case .inflightFull:
            return self.eventLoop.makeFailedFuture(
                CloudError(.refused, "too many sends waiting for the broker's acknowledgement"))
        case .notConnected:
            return self.eventLoop.makeFailedFuture(CloudError(.notConnected, "not connected"))
        }
    }

    // MARK: - Acknowledging

    private func acknowledge(packetID: UInt16, serial: UInt64, generation: Int) {
        guard generation == self.generation, self.awaitingAck[packetID]?.serial == serial, let connection else {
            return
        }
        self.awaitingAck[packetID] = nil
        connection.acknowledge(packetID: packetID)
    }

    /// What ack() of a message received now, for `consumer`, does.
    private func acknowledgement(for publish: PublishPacket, consumer: UInt32?) -> @Sendable () -> Void {
        guard publish.qos == .atLeastOnce, let packetID = publish.packetID else { return {} }
        self.nextSerial += 1
        let serial = self.nextSerial
        let generation = self.generation
        self.awaitingAck[packetID] = (serial, consumer)
        let session = NIOLoopBound(self, eventLoop: self.eventLoop)
        let loop = self.eventLoop
        return {
            loop.execute {
                session.value.acknowledge(packetID: packetID, serial: serial, generation: generation)
            }
        }
    }

    // MARK: - MQTTClientDelegate

    func clientConnected(_ client: MQTTClientConnection, connack: ConnAckPacket) {
        guard client.tag == self.generation else { return }
        self.connection = client
        self.reconnectDelay = TimeAmount(self.configuration.reconnectInitialDelay)
        if self.closed {
            client.disconnect()
            return
        }
        for id in self.consumers.keys.sorted() { self.subscribe(id) }
        if let connectPromise {
            self.connectPromise = nil
            connectPromise.succeed()
        }
    }

    func client(_ client: MQTTClientConnection, subscribed suback: SubAckPacket) {
        guard client.tag == self.generation, let id = self.pendingSubscriptions.removeValue(forKey: suback.packetID)
        else { return }
        guard var consumer = self.consumers[id] else { return }
        let code = suback.reasonCodes.first ?? .unspecifiedError
        let promise = consumer.subscribed
        consumer.subscribed = nil
        if code.isFailure {
            self.consumers[id] = nil
            switch consumer.sink {
            case .messages(let continuation): continuation.finish()
            case .statusEvents(let continuation): continuation.finish()
            }
            promise?.fail(
                CloudError(
                    .refused, "the broker refused the subscription to \(consumer.filter)", reasonCode: code.rawValue))
            return
        }
        self.consumers[id] = consumer
        promise?.succeed()
    }

    func client(_ client: MQTTClientConnection, received publish: PublishPacket) {
        guard client.tag == self.generation else { return }
        let found =
            publish.properties.subscriptionIdentifiers.lazy.compactMap { id in self.consumers[id].map { (id, $0) } }
            .first
            // A p2p message reaches its client without a subscription, so without an identifier.
            ?? self.consumers.first { Topic.matches(filter: $0.value.matchFilter, topic: publish.topic) }
                .map { ($0.key, $0.value) }
        let ack = self.acknowledgement(for: publish, consumer: found?.0)
        guard let (_, consumer) = found else {
            // Nobody wants it (its consumer was just cancelled): not acknowledged, handed back (see above).
            self.recycleIfOrphaned()
            return
        }
        switch consumer.sink {
        case .messages(let continuation):
            let message = CloudMessage(
                topic: publish.topic, payload: publish.payload, qos: CloudQoS(rawValue: publish.qos.rawValue)!,
                userProperties: publish.properties.userProperties.map { (name: $0.0, value: $0.1) },
                acknowledge: ack)
            // A stream that ended between the cancellation and its removal: handed back like the others.
            if case .terminated = continuation.yield(message) { self.recycleIfOrphaned() }
        case .statusEvents(let continuation):
            // Status events are acknowledged once handed to the stream.
            let json = Data(publish.payload.readableBytesView)
            if let event = try? JSONDecoder().decode(CloudStatusEvent.self, from: json) {
                continuation.yield(event)
            }
            ack()
        }
    }

    func client(_ client: MQTTClientConnection, acknowledged packetID: UInt16) {}

    func client(_ client: MQTTClientConnection, unsubscribed unsuback: UnsubAckPacket) {
        guard client.tag == self.generation, self.pendingUnsubscribes > 0 else { return }
        // From here on the broker sends nothing more for the cancelled consumer.
        self.pendingUnsubscribes -= 1
        self.recycleIfOrphaned()
    }

    func client(_ client: MQTTClientConnection, acknowledged packetID: UInt16, reasonCode: ReasonCode) {
        guard client.tag == self.generation, let promise = self.pendingSends.removeValue(forKey: packetID) else {
            return
        }
        if reasonCode.isFailure {
            promise.fail(CloudError(.refused, "the broker refused the message", reasonCode: reasonCode.rawValue))
        } else {
            // 0x10 No matching subscribers is a success: the broker took the message, nobody got it.
            promise.succeed(CloudSendResult(reachedSubscribers: reasonCode != .noMatchingSubscribers))
        }
    }

    func clientClosed(_ client: MQTTClientConnection, error: (any Error)?) {
        self.connectionLost(tag: client.tag, error: error)
    }

    func clientFailedToConnect(tag: Int, error: any Error) {
        self.connectionLost(tag: tag, error: error)
    }
}

@available(*, unavailable)
extension CloudSession: Sendable {}
