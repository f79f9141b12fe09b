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

/// The MQTT end of a client connection's pipeline: decodes what the server sends, encodes what
/// the application sends, and runs ``MQTTClientStateMachine``'s actions (STYLE §8.1).
///
/// It receives the MQTT byte stream, from the socket or from a ``WebSocketClientTransport`` in
/// front of it, and decodes packets straight from its cumulation buffer with
/// ``MQTTPacketDecoder`` (STYLE §8.3): a PUBLISH payload reaches the delegate as a slice, never a
/// copy. Nothing is sent before ``start(connection:delegate:)``.
final class MQTTClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let configuration: MQTTClientConfiguration
    private var stateMachine: MQTTClientStateMachine
    private var decoder: MQTTPacketDecoder
    private var cumulation: ByteBuffer?
    private var context: ChannelHandlerContext?
    /// Held until the channel closes (a cycle with the connection's reference to this handler,
    /// broken in `channelInactive`), so the delegate hears about a connection nobody else keeps.
    private var connection: MQTTClientConnection?
    private var delegate: (any MQTTClientDelegate)?
    private var keepAliveTask: Scheduled<Void>?
    private var connectTimeoutTask: Scheduled<Void>?
    /// The first error seen, reported to the delegate when the channel closes.
    private var closeError: (any Error)?
    private var closedReported = false
    private var disconnectedByApplication = false

    init(configuration: MQTTClientConfiguration) {
        self.configuration = configuration
        self.stateMachine = MQTTClientStateMachine(
            version: configuration.version, maximumInflight: configuration.maximumInflight,
            manualAcknowledgement: configuration.manualAcknowledgement)
        self.decoder = MQTTPacketDecoder(
            maximumPacketSize: configuration.maximumPacketSize, version: configuration.version)
    }

    var state: MQTTClientStateMachine.State { self.stateMachine.state }
    var inflightCount: Int { self.stateMachine.inflightCount }
    var maximumInflight: Int { self.stateMachine.maximumInflight }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: - Application requests (on the loop)

    /// Sends CONNECT (the WebSocket transport holds it until its handshake is done).
    func start(connection: MQTTClientConnection, delegate: any MQTTClientDelegate) {
        guard let context else { return }
        self.connection = connection
        self.delegate = delegate
        self.stateMachine.start()
        self.write(.connect(self.configuration.connectPacket), context: context)
        context.flush()
        self.connectTimeoutTask = context.eventLoop.assumeIsolated().scheduleTask(
            in: self.configuration.connectTimeout
        ) { [weak self] in
            guard let self, self.stateMachine.state == .connecting else { return }
            self.fail(MQTTClientError.connectTimeout)
        }
    }

    func publish(
        topic: String, payload: ByteBuffer, qos: QoS, retain: Bool = false, properties: Properties = [], flush: Bool
    ) -> MQTTClientStateMachine.PublishAction {
        guard let context else { return .notConnected }
        let action = self.stateMachine.publishRequested(qos: qos)
        guard case .send(let packetID) = action else { return action }
        // Properties exist in MQTT 5 only.
        let properties = self.configuration.version == .v5 ? properties : []
        // A capacity hint: the buffer grows if the properties need more.
        var buffer = context.channel.allocator.buffer(
            capacity: topic.utf8.count + payload.readableBytes + 16 + 64 * properties.list.count)
        MQTTPacketEncoder.encodePublish(
            topic: topic, payload: payload, qos: qos, retain: retain, dup: false, packetID: packetID,
            properties: properties, version: self.configuration.version, into: &buffer)
        context.write(self.wrapOutboundOut(buffer), promise: nil)
        if flush { context.flush() }
        return action
    }

    func subscribe(_ filters: [(String, QoS)]) -> UInt16? {
        guard let context, let packetID = self.stateMachine.subscriptionRequested() else { return nil }
        let requests = filters.map { SubscriptionRequest(topicFilter: $0.0, qos: $0.1) }
        self.write(.subscribe(SubscribePacket(packetID: packetID, subscriptions: requests)), context: context)
        context.flush()
        return packetID
    }

    /// SUBSCRIBE with full subscription options and properties (MQTT 5: Subscription Identifier, user properties).
    func subscribe(_ requests: [SubscriptionRequest], properties: Properties) -> UInt16? {
        guard let context, let packetID = self.stateMachine.subscriptionRequested() else { return nil }
        let properties = self.configuration.version == .v5 ? properties : []
        self.write(
            .subscribe(SubscribePacket(packetID: packetID, subscriptions: requests, properties: properties)),
            context: context)
        context.flush()
        return packetID
    }

    func unsubscribe(_ filters: [String]) -> UInt16? {
        guard let context, let packetID = self.stateMachine.subscriptionRequested() else { return nil }
        self.write(.unsubscribe(UnsubscribePacket(packetID: packetID, topicFilters: filters)), context: context)
        context.flush()
        return packetID
    }

    /// PUBACK for an inbound QoS 1 message, with manual acknowledgement.
    func acknowledge(packetID: UInt16) {
        guard let context, self.stateMachine.state == .connected else { return }
        self.write(.puback(AckPacket(packetID: packetID)), context: context)
        context.flush()
    }

    func flush() {
        self.context?.flush()
    }

    /// DISCONNECT (if connected), then close the transport.
    func disconnect() {
        guard let context else { return }
        self.disconnectedByApplication = true
        guard self.stateMachine.disconnectRequested() else {
            context.close(promise: nil)
            return
        }
        // MQTT 5 §3.14: reason 0x00, normal disconnection; the will is not sent. The client closes
        // the network connection after sending DISCONNECT [MQTT-3.14.4-1].
        var buffer = context.channel.allocator.buffer(capacity: 2)
        MQTTPacketEncoder.encode(.disconnect(DisconnectPacket()), version: self.configuration.version, into: &buffer)
        context.writeAndFlush(self.wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = self.unwrapInboundIn(data)
        if self.cumulation == nil {
            self.cumulation = bytes
        } else {
            self.cumulation!.writeImmutableBuffer(bytes)
        }
        do {
            while var buffer = self.cumulation {
                self.cumulation = nil  // keep the buffer uniquely referenced while decoding
                let packet = try self.decoder.decodePacket(buffer: &buffer)
                self.cumulation = buffer.readableBytes > 0 ? buffer : nil
                guard let packet else { break }
                self.run(self.stateMachine.packetReceived(packet), context: context)
                if self.stateMachine.state == .closing { break }
            }
            if var rest = self.cumulation, rest.readerIndex > 16 * 1024 {
                rest.discardReadBytes()
                self.cumulation = rest
            }
        } catch {
            self.fail(MQTTClientError("malformed packet from the server: \(error)"))
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Acknowledgements written while reading go out once per read burst.
        context.flush()
    }

    private func run(_ action: MQTTClientStateMachine.PacketAction, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .connected(let connack):
            self.connectTimeoutTask?.cancel()
            self.connectTimeoutTask = nil
            self.scheduleKeepAlive(context: context, connack: connack)
            if let connection { self.delegate?.clientConnected(connection, connack: connack) }
        case .deliver(let publish, let reply):
            if let reply { self.write(reply, context: context) }
            if let connection { self.delegate?.client(connection, received: publish) }
        case .reply(let packet):
            self.write(packet, context: context)
        case .acknowledged(let packetID, let reasonCode):
            if let connection { self.delegate?.client(connection, acknowledged: packetID, reasonCode: reasonCode) }
        case .subscribed(let suback):
            if let connection { self.delegate?.client(connection, subscribed: suback) }
        case .unsubscribed(let unsuback):
            if let connection { self.delegate?.client(connection, unsubscribed: unsuback) }
        case .close(let reason):
            self.fail(MQTTClientError(reason.description))
        }
    }

    private func scheduleKeepAlive(context: ChannelHandlerContext, connack: ConnAckPacket) {
        // MQTT 5 §3.2.2.3.14: a Server Keep Alive replaces the client's value.
        let seconds = connack.properties.serverKeepAlive ?? self.configuration.keepAlive
        guard seconds > 0 else { return }
        self.keepAliveTask = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(Int64(seconds))) {
            [weak self] in
            guard let self, let context = self.context else { return }
            switch self.stateMachine.keepAliveTimerFired() {
            case .sendPingRequest:
                self.write(.pingreq, context: context)
                context.flush()
                self.scheduleKeepAlive(context: context, connack: connack)
            case .close(let reason):
                self.fail(MQTTClientError(reason.description))
            case .none:
                break
            }
        }
    }

    private func write(_ packet: MQTTPacket, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(
            capacity: MQTTPacketEncoder.encodedSize(packet, version: self.configuration.version))
        MQTTPacketEncoder.encode(packet, version: self.configuration.version, into: &buffer)
        context.write(self.wrapOutboundOut(buffer), promise: nil)
    }

    // MARK: - Closing

    private func fail(_ error: any Error) {
        if self.closeError == nil { self.closeError = error }
        _ = self.stateMachine.disconnectRequested()
        self.context?.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.keepAliveTask?.cancel()
        self.connectTimeoutTask?.cancel()
        let wasConnecting = self.stateMachine.state == .connecting
        self.stateMachine.channelClosed()
        if !self.closedReported, let connection, let delegate {
            self.closedReported = true
            let error =
                self.closeError
                ?? (wasConnecting
                    ? MQTTClientError.closedBeforeConnAck
                    : self.disconnectedByApplication ? nil : MQTTClientError("the server closed the connection"))
            self.delegate = nil
            delegate.clientClosed(connection, error: error)
        }
        self.connection = nil
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension MQTTClientHandler: Sendable {}
