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
import NIOPosix
import SwiftletAuth
import SwiftletMQTT

/// A backend's connection to Swiftlet: consume device messages in consumer groups, follow status events, send to
/// topics, rooms and single clients (DESIGN §7).
///
/// Everything goes over one MQTT 5 connection in signature mode, with the user properties and shared subscriptions
/// docs/cloud-sdk.md describes, so a backend in another language can do the same with any MQTT 5 client.
///
/// ```swift
/// let client = CloudClient(configuration: CloudConfiguration(
///     host: "127.0.0.1", accessKeyID: "AK", secretKey: "secret", instanceID: "inst", clientID: "GID_backend@@@1"))
/// try await client.connect()
/// for await message in try await client.consume(parentTopic: "chat", group: "GID_backend") {
///     print(message.topic, message.payloadString, message.publisherClientID ?? "-")
///     message.ack()
/// }
/// ```
///
/// When the connection is lost the client reconnects with exponential backoff
/// (``CloudConfiguration/reconnectInitialDelay`` up to ``CloudConfiguration/reconnectMaximumDelay``) and subscribes
/// its consumers again; messages not acknowledged before the loss are redelivered by the broker (to another member of
/// the group, or to this client once it is back).
public final class CloudClient: Sendable {
    /// The configuration the client was created with.
    public let configuration: CloudConfiguration
    private let eventLoop: any EventLoop
    private let session: NIOLoopBoundBox<CloudSession>

    /// Creates a client; nothing is sent before ``connect()``.
    ///
    /// - Parameter configuration: The broker's address and the credentials.
    public init(configuration: CloudConfiguration) {
        self.configuration = configuration
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        self.eventLoop = eventLoop
        self.session = NIOLoopBoundBox.makeBoxSendingValue(
            CloudSession(configuration: configuration, eventLoop: eventLoop), eventLoop: eventLoop)
    }

    /// Connects and waits for the broker to accept the connection.
    ///
    /// - Throws: ``CloudError`` with ``CloudError/Code/invalidArgument`` for a client ID without `@@@`,
    ///   ``CloudError/Code/connectionFailed`` when the broker cannot be reached or refuses the credentials. A failed
    ///   first connection is not retried (call `connect()` again); later losses are.
    public func connect() async throws {
        guard GroupedClientID(self.configuration.clientID) != nil else {
            throw CloudError(.invalidArgument, "the client ID must have the form GroupID@@@DeviceID")
        }
        let address: SocketAddress
        do {
            address = try SocketAddress.makeAddressResolvingHost(self.configuration.host, port: self.configuration.port)
        } catch {
            throw CloudError(.connectionFailed, "cannot resolve \(self.configuration.host): \(error)")
        }
        let session = self.session
        try await self.eventLoop.flatSubmit { session.value.start(address: address) }.get()
    }

    /// Disconnects (MQTT DISCONNECT, normal) and stops reconnecting. Every consumer's sequence ends; its messages
    /// not acknowledged go to other members of its group.
    public func close() async {
        let session = self.session
        try? await self.eventLoop.flatSubmit { session.value.close() }.get()
    }

    // MARK: - Consuming

    /// Consumes the messages published to `parentTopic` and every topic below it.
    ///
    /// - Parameters:
    ///   - parentTopic: The first topic level(s), without wildcards, e.g. `chat`.
    ///   - group: The consumer group, e.g. the group ID of the backend's client IDs; members of one group share the
    ///     messages in ``CloudConsumeMode/clustering`` and ``CloudConsumeMode/ordered`` mode.
    ///   - mode: How the group shares the messages.
    /// - Returns: The messages, in the order they arrive. Call ``CloudMessage/ack()`` on each once processed.
    ///   Ending the iteration unsubscribes.
    /// - Throws: ``CloudError`` when an argument is invalid, ``connect()`` did not succeed yet, or the broker refuses
    ///   the subscription.
    public func consume(
        parentTopic: String, group: String, mode: CloudConsumeMode = .clustering
    ) async throws -> AsyncStream<CloudMessage> {
        try Self.validate(parentTopic: parentTopic)
        let inner = parentTopic + "/#"
        let filter: String
        var userProperties: [(String, String)] = []
        switch mode {
        case .broadcasting:
            filter = inner
        case .clustering:
            filter = try Self.shared(group: group, inner)
        case .ordered:
            filter = try Self.shared(group: group, inner)
            userProperties.append(("share-strategy", "hash-topic"))
        }
        let (stream, continuation) = AsyncStream.makeStream(of: CloudMessage.self)
        try await self.addConsumer(
            filter: filter, matchFilter: inner, userProperties: userProperties, sink: .messages(continuation))
        return stream
    }

    /// Follows connect and disconnect events of all clients (docs/status-events.md), shared among the members of
    /// `group`: `$share/{group}/$SYS/clients/+/+`. Needs a `cloud` access key.
    ///
    /// - Parameter group: The consumer group.
    /// - Returns: The events in the order they arrive; each is acknowledged when it enters the sequence.
    public func statusEvents(group: String) async throws -> AsyncStream<CloudStatusEvent> {
        let inner = "$SYS/clients/+/+"
        let filter = try Self.shared(group: group, inner)
        let (stream, continuation) = AsyncStream.makeStream(of: CloudStatusEvent.self)
        try await self.addConsumer(
            filter: filter, matchFilter: inner, userProperties: [], sink: .statusEvents(continuation))
        return stream
    }

    private func addConsumer(
        filter: String, matchFilter: String, userProperties: [(String, String)], sink: CloudSession.Sink
    ) async throws {
        let session = self.session
        let eventLoop = self.eventLoop
        let (id, subscribed) = try await eventLoop.submit {
            let (id, future) = session.value.addConsumer(
                filter: filter, matchFilter: matchFilter, userProperties: userProperties, sink: sink)
            return (id, future)
        }.get()
        // Ending the iteration unsubscribes.
        switch sink {
        case .messages(let continuation):
            continuation.onTermination = { _ in eventLoop.execute { session.value.removeConsumer(id) } }
        case .statusEvents(let continuation):
            continuation.onTermination = { _ in eventLoop.execute { session.value.removeConsumer(id) } }
        }
        try await subscribed.get()
    }

    // MARK: - Sending

    /// Publishes a message.
    ///
    /// - Parameters:
    ///   - topic: The topic; with `secondTopic`, the one-level parent topic.
    ///   - payload: The message body.
    ///   - qos: The QoS of the PUBLISH; QoS 1 and 2 wait for the broker's acknowledgement.
    ///   - secondTopic: Levels below `topic` (`mqttSecondTopic`): the message goes to `{topic}{secondTopic}`, e.g.
    ///     `chat` + `/room1`.
    ///   - qosLevel: The QoS the subscribers get it with (`qoslevel`), if not `qos`.
    ///   - retain: Whether the broker keeps it as the topic's retained message, for later subscribers
    ///     [MQTT-3.3.1-5].
    /// - Returns: Whether the message reached a subscriber (QoS 1/2).
    /// - Throws: ``CloudError``: not connected, or refused by the broker (``CloudError/reasonCode``).
    @discardableResult
    public func send(
        topic: String, payload: ByteBuffer, qos: CloudQoS = .atLeastOnce, secondTopic: String? = nil,
        qosLevel: CloudQoS? = nil, retain: Bool = false
    ) async throws -> CloudSendResult {
        var properties: Properties = []
        if let secondTopic { properties.append(.userProperty("mqttSecondTopic", secondTopic)) }
        if let qosLevel { properties.append(.userProperty("qoslevel", String(qosLevel.rawValue))) }
        return try await self.publish(topic: topic, payload: payload, qos: qos, retain: retain, properties: properties)
    }

    /// Publishes a text message; see ``send(topic:payload:qos:secondTopic:qosLevel:retain:)``.
    @discardableResult
    public func send(
        topic: String, payload: String, qos: CloudQoS = .atLeastOnce, secondTopic: String? = nil,
        qosLevel: CloudQoS? = nil, retain: Bool = false
    ) async throws -> CloudSendResult {
        try await self.send(
            topic: topic, payload: ByteBuffer(string: payload), qos: qos, secondTopic: secondTopic, qosLevel: qosLevel,
            retain: retain)
    }

    /// Publishes into a room: the topic `{parentTopic}/{room}`, sent as `parentTopic` with `mqttSecondTopic`.
    ///
    /// - Parameters:
    ///   - parentTopic: The one-level parent topic, e.g. `chat`.
    ///   - room: The room below it, e.g. `room1`.
    ///   - payload: The message body.
    ///   - qos: The QoS.
    @discardableResult
    public func sendToRoom(parentTopic: String, room: String, payload: ByteBuffer, qos: CloudQoS = .atLeastOnce)
        async throws -> CloudSendResult
    {
        guard !room.isEmpty else { throw CloudError(.invalidArgument, "empty room") }
        return try await self.send(topic: parentTopic, payload: payload, qos: qos, secondTopic: "/" + room)
    }

    /// Sends a message to one client: the p2p topic `{parentTopic}/p2p/{clientID}`, which reaches that client
    /// whether or not it subscribed (DESIGN §5).
    ///
    /// - Parameters:
    ///   - parentTopic: The parent topic, e.g. `chat`.
    ///   - clientID: The receiving client.
    ///   - payload: The message body.
    ///   - realTopic: The topic the receiving client sees instead of the p2p topic (`mqttRealTopic`).
    ///   - qos: The QoS.
    /// - Returns: For QoS 1/2, whether the client has a session that took the message.
    @discardableResult
    public func sendP2P(
        parentTopic: String, clientID: String, payload: ByteBuffer, realTopic: String? = nil,
        qos: CloudQoS = .atLeastOnce
    ) async throws -> CloudSendResult {
        try Self.validate(parentTopic: parentTopic)
        guard !clientID.isEmpty else { throw CloudError(.invalidArgument, "empty client ID") }
        var properties: Properties = []
        if let realTopic { properties.append(.userProperty("mqttRealTopic", realTopic)) }
        return try await self.publish(
            topic: "\(parentTopic)/p2p/\(clientID)", payload: payload, qos: qos, retain: false, properties: properties)
    }

    private func publish(
        topic: String, payload: ByteBuffer, qos: CloudQoS, retain: Bool, properties: Properties
    ) async throws -> CloudSendResult {
        guard !topic.isEmpty, Topic.isValidName(topic) else {
            throw CloudError(.invalidArgument, "not a valid topic name: \(topic)")
        }
        let session = self.session
        let mqttQoS = QoS(rawValue: qos.rawValue)!
        return try await self.eventLoop.flatSubmit {
            session.value.send(topic: topic, payload: payload, qos: mqttQoS, retain: retain, properties: properties)
        }.get()
    }

    // MARK: - Validation

    private static func validate(parentTopic: String) throws {
        guard !parentTopic.isEmpty, !parentTopic.hasPrefix("$"), !parentTopic.hasSuffix("/"),
            !parentTopic.contains("+"), !parentTopic.contains("#")
        else {
            throw CloudError(
                .invalidArgument, "the parent topic must be a topic name without wildcards: \(parentTopic)")
        }
    }

    private static func shared(group: String, _ filter: String) throws -> String {
        guard !group.isEmpty, !group.contains("/"), !group.contains("+"), !group.contains("#") else {
            throw CloudError(.invalidArgument, "a group name cannot be empty or contain '/', '+' or '#': \(group)")
        }
        return "$share/\(group)/\(filter)"
    }
}
