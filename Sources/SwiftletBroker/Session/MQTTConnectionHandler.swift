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

/// The server side of one MQTT connection: bytes in, packets decoded in place, session logic,
/// bytes out.
///
/// It sits at the end of a pipeline that delivers the MQTT byte stream as `ByteBuffer`s: straight
/// from TCP or TLS, or from a WebSocket de-framer, so every transport shares one byte path and
/// one decoder (STYLE §2.1, §8.3). Packets never travel through the pipeline as `NIOAny`.
///
/// All state is confined to the channel's event loop.
package final class MQTTConnectionHandler: ChannelDuplexHandler {
    package typealias InboundIn = ByteBuffer
    package typealias OutboundIn = ByteBuffer
    package typealias OutboundOut = ByteBuffer

    // Stored properties are laid out in declaration order, with padding after a small one that is
    // followed by a larger one: every idle connection holds one of these objects, so the word-size
    // fields come first and the small ones are grouped at the end. Timers that only some
    // connections ever arm live in a side object allocated on first use (``OccasionalTimers``).

    let broker: Broker
    /// The broker's logger, shared by every connection (see ``ConnectionLogger`` for why).
    let baseLogger: Logger
    /// The client's address, for log lines; the channel caches it, so this is no extra copy.
    var remoteAddress: SocketAddress?
    /// For logs and status events: "tcp", "tls", "ws", "wss".
    let transport: String

    var context: ChannelHandlerContext?
    var decoder: MQTTPacketDecoder
    /// Bytes read and not yet decoded: the start of a packet whose rest has not arrived, or packets
    /// waiting for their turn (``InboundFlowControl``); nil whenever every byte read so far was
    /// decoded.
    ///
    /// Not a `NIOSingleStepByteToMessageProcessor`: it keeps the last buffer it was given even when
    /// it is fully read, and that buffer is the channel's receive buffer. NIO reuses a receive
    /// buffer only while nothing else holds it, so the next read then allocated a second one and
    /// both stayed with the connection for good (two 2 KiB buffers per idle connection at NIO's
    /// default size), besides the processor's own object.
    var input: ByteBuffer?
    /// When the socket is read and how much of `input` is decoded at a time; also the channel's
    /// writability as its events last told it.
    var flow: InboundFlowControl
    /// Small packets the broker answers with (CONNACK, PUBACK, PINGRESP, SUBACK, …), gathered into
    /// one buffer until the next flush or the next other write: a client that sends thousands of
    /// PINGREQs costs one buffer per turn, not one allocation and one pending write per PINGRESP.
    var replies: ByteBuffer?
    var machine: ConnectionStateMachine
    var session: SessionHandle?

    // MARK: Per-connection protocol state (gone with the connection, unlike the session's)

    var clientID = ""
    /// Client's Receive Maximum (MQTT 5 §3.1.2.11.3); 3.1.1 clients get the configured window.
    var clientReceiveMaximum: Int
    /// Client's Maximum Packet Size (MQTT 5 §3.1.2.11.4).
    var clientMaximumPacketSize = Int.max
    /// Aliases the client set towards the server [MQTT-3.3.2-12].
    var inboundAliases: [UInt16: String] = [:]
    /// Aliases the server set towards the client.
    var outboundAliases: [String: UInt16] = [:]
    /// When the client was accepted and what its status events call the connection; nil until
    /// CONNACK. The rest of what the connect status event says is in this object already, so the
    /// event is built when it is needed (``connectEvent``) rather than kept.
    var acceptance: Acceptance?
    /// The CONNECT user name (or the certificate's common name), for status events.
    var connectUsername: String?
    /// What ACL rules look at: client ID, user name, identity.
    var accessSubject: AccessSubject {
        AccessSubject(clientID: clientID, username: connectUsername, identity: identity)
    }
    /// Who the client authenticated as; token clients carry their grants.
    var identity = ClientIdentity.anonymous
    /// The write-stall, linger and token timers, for the connections that arm one; nil for the
    /// others (see ``occasional``).
    var occasionalTimers: OccasionalTimers?
    /// Per room policy with a per-client publish rate (bullet comments): this client's bucket.
    var publishLimiters: [String: RateLimiter] = [:]

    /// Set by TLS listeners with \`tls-cn-as-username\`: the common name of the client's verified
    /// certificate, which then stands for the CONNECT user name.
    package var certificateUsername: (() -> String?)?

    /// The one pending timer of this connection: the connect timeout at first, which goes on to
    /// check keep-alive (see ``scheduleKeepAliveCheck(in:)``); nil when none is pending.
    var timer: NIOScheduledCallback?
    /// When `timer` fires.
    var timerDeadline = NIODeadline.distantPast

    // Small fields last, together (see the note at the top).

    /// Session Expiry Interval given in CONNECT; DISCONNECT may not raise it from 0 [MQTT-3.14.2-2].
    var connectSessionExpiry: UInt32 = 0
    var keepAlive: UInt16 = 0
    /// Client's Topic Alias Maximum (MQTT 5 §3.1.2.11.5): aliases the server may use towards it.
    var clientTopicAliasMaximum: UInt16 = 0
    package internal(set) var protocolVersion: ProtocolVersion = .v3_1_1
    /// Set by the listener: the authentication modes it allows (`mqtt-auth`, `http-auth`, …).
    package var authenticationModes: AuthenticationModes = .all
    /// Why the broker closed this connection, when it did (DISCONNECT reason code).
    var serverDisconnectReason: ReasonCode?
    /// Why the broker closed the connection, when the DISCONNECT reason code alone does not say
    /// (0x87 is both an expired and a revoked token); for the status event.
    var disconnectCause: StatusEvent.Reason?
    /// The reason code of the client's DISCONNECT, once received.
    var clientDisconnectReason: ReasonCode?
    /// Request Problem Information (MQTT 5 §3.1.2.11.7): reason strings only when not 0.
    var sendReasonStrings = true
    /// Set while a turn decodes, so that events it causes (a session opening synchronously, a
    /// writability change) do not start a nested one.
    var decoding = false
    /// Set once the broker told the client why it closes (DISCONNECT or a refusing CONNACK) and
    /// half-closed: what still arrives is read and dropped until the client closes too or the
    /// linger timer fires, so that the client reads the reason instead of a reset.
    var lingering = false
    var needsFlush = false
    var countedConnection = false

    package init(broker: Broker, transport: String, logger: Logger) {
        self.broker = broker
        self.transport = transport
        self.baseLogger = logger
        self.decoder = MQTTPacketDecoder(maximumPacketSize: broker.configuration.maxPacketSize)
        self.machine = ConnectionStateMachine(now: .uptimeNanoseconds(0))
        self.flow = InboundFlowControl(
            configuration: .init(
                maxPacketsPerTurn: broker.configuration.maxPacketsPerTurn,
                writeStallTimeout: broker.configuration.writeStallTimeout))
        self.clientReceiveMaximum = broker.configuration.maxInflight
    }

    /// The side object of the occasional timers, made on first use.
    var occasional: OccasionalTimers {
        if let timers = occasionalTimers { return timers }
        let timers = OccasionalTimers()
        occasionalTimers = timers
        return timers
    }

    /// Logs with this connection's remote address and client ID.
    var logger: ConnectionLogger {
        ConnectionLogger(base: baseLogger, remoteAddress: remoteAddress, clientID: clientID)
    }

    // MARK: - Channel events

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        flow = InboundFlowControl(configuration: flow.configuration, isWritable: context.channel.isWritable)
        if context.channel.isActive { start(context: context) }
    }

    package func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard timer == nil, !countedConnection else { return }
        countedConnection = true
        broker.stats.increment(.connectionsCurrent)
        broker.stats.increment(.connectionsTotal)
        remoteAddress = context.channel.remoteAddress
        // A socket that never sends CONNECT is closed after a while (DESIGN §9).
        scheduleTimer(at: context.eventLoop.now + broker.configuration.connectTimeout)
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        connectionEnded()
        self.context = nil
    }

    package func channelInactive(context: ChannelHandlerContext) {
        connectionEnded()
        context.fireChannelInactive()
    }

    func connectionEnded() {
        // The socket closed (or a lingering close finished early): no timer outlives it. The
        // linger timer is armed after the first call, so only a later one cancels it.
        occasionalTimers?.linger?.cancel()
        occasionalTimers?.linger = nil
        guard machine.state != .closed else { return }
        machine.channelInactive()
        timer?.cancel()
        occasionalTimers?.stall?.cancel()
        occasionalTimers?.stall = nil
        input = nil
        replies = nil
        cancelTokenTimers()
        if countedConnection {
            broker.stats.decrement(.connectionsCurrent)
            countedConnection = false
        }
        publishDisconnectEvent()
        if let session {
            self.session = nil
            // Only a DISCONNECT with 0x00 deletes the will; 0x04, an error code or no DISCONNECT at
            // all leaves it to be published [MQTT-3.1.2-8] [MQTT-3.1.2-10].
            let publishWill = clientDisconnectReason.map { $0 != .normalDisconnection } ?? true
            session.connectionClosed(self, publishWill: publishWill)
        }
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Closing: what the client still sends is dropped unread (the machine would ignore it).
        guard machine.state != .closing, machine.state != .closed else { return }
        var buffer = unwrapInboundIn(data)
        if var held = input {
            input = nil
            held.writeBuffer(&buffer)
            buffer = held
        }
        input = buffer
        decodeTurn()
    }

    /// Decodes one turn's worth of `input` (``InboundFlowControl``): packets are handled while the
    /// output can take their answers, at most `maxPacketsPerTurn` of them; the rest waits for the
    /// next turn, after the loop served its other connections, or for the output to drain.
    func decodeTurn() {
        guard !decoding, let context, var buffer = input else { return }
        input = nil
        decoding = true
        var decoded = 0
        var exhausted = false
        do {
            // While the session opens (a takeover on another loop), what follows CONNECT stays
            // undecoded here; sessionOpened(_:_:) decodes it.
            while machine.isReading, flow.mayDecode(decodedThisTurn: decoded) {
                guard machine.state != .closing, machine.state != .closed else {
                    // Closing: nothing more is read from this client.
                    buffer.clear()
                    break
                }
                guard let packet = try decoder.decodePacket(buffer: &buffer) else {
                    exhausted = true
                    break
                }
                decoded += 1
                packetReceived(packet)
            }
        } catch {
            decoding = false
            // The stream has no packet boundary any more; what is left stays unread, as the
            // connection closes.
            input = buffer
            decodeFailed(error)
            return
        }
        decoding = false
        if var arrived = input {
            // Read while this turn ran (not expected: reads are not re-entrant): behind the rest.
            input = nil
            buffer.writeBuffer(&arrived)
        }
        if buffer.readableBytes > 0 {
            // NIO's rule for its decoders (`shouldReclaimBytes`): reclaim the consumed bytes once
            // there are 2 KiB of them, or once they are most of a buffer of more than 1 KiB.
            if buffer.readerIndex >= 2048
                || (buffer.storageCapacity > 1024 && buffer.storageCapacity - buffer.readerIndex < buffer.readerIndex)
            {
                buffer.discardReadBytes()
            }
            input = buffer
        } else {
            exhausted = true
        }
        switch flow.turnEnded(inputExhausted: exhausted, sessionOpen: machine.isReading) {
        case .none:
            if !exhausted {
                // Stopped for the output: push out what this turn wrote so that it can drain.
                flushIfNeeded()
            }
        case .read:
            context.read()
        case .scheduleTurn:
            flushIfNeeded()
            // Not `execute`: an event loop runs every task that is ready before it polls its
            // sockets again, so a connection queueing turn after turn would starve the loop's
            // other connections. A turn due a moment later lets the loop poll first.
            context.eventLoop.assumeIsolated().scheduleTask(in: Self.turnDelay) { [self] in
                flow.scheduledTurnStarted()
                decodeTurn()
                flushIfNeeded()
            }
        }
    }

    /// How long after a turn the next one of the same connection may run: longer than the loop
    /// takes to look for ready tasks again, so that it polls its sockets in between.
    static let turnDelay = TimeAmount.milliseconds(1)

    package func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded()
        context.fireChannelReadComplete()
    }

    package func read(context: ChannelHandlerContext) {
        if machine.state == .closing || machine.state == .closed {
            // Drain what the client still sends (dropped unread), so that closing does not reset
            // the connection before the client read why.
            context.read()
            return
        }
        // Not while the session opens (pipelined packets wait in the socket, not here), not while
        // the output is backed up (the client's own traffic, the PUBACKs and PINGRESPs it provokes,
        // must not grow it without bound), not while earlier input waits for its turn.
        if flow.readRequested(sessionOpen: machine.isReading) == .read {
            context.read()
        }
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        let action = flow.writabilityChanged(
            isWritable: writable, now: context.eventLoop.now, sessionOpen: machine.isReading)
        if writable {
            // Queued deliveries first: they were waiting longer than the input.
            session?.connectionBecameWritable()
        }
        switch action {
        case .none:
            break
        case .armStallTimer(let deadline):
            armStallTimer(at: deadline, context: context)
        case .decode:
            decodeTurn()
            flushIfNeeded()
        case .read:
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    private func armStallTimer(at deadline: NIODeadline, context: ChannelHandlerContext) {
        occasional.stall = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            occasionalTimers?.stall = nil
            guard let context = self.context else { return }
            switch flow.stallTimerFired(now: context.eventLoop.now) {
            case .none:
                break
            case .rearm(let deadline):
                armStallTimer(at: deadline, context: context)
            case .close:
                outputStalled()
            }
        }
    }

    /// The client has not read what it was sent for the whole write-stall timeout.
    private func outputStalled() {
        broker.stats.increment(.writeStallDisconnects)
        let seconds = (flow.configuration.writeStallTimeout?.nanoseconds ?? 0) / 1_000_000_000
        logger.info(
            "client does not read: output backed up, closing",
            metadata: ["stalled.seconds": "\(seconds)", "limit.bytes": "\(broker.configuration.maxOutboundBytes)"])
        // MQTT 5 §4.13: 0x97, the client exceeded what the server lets one connection hold; it is
        // written ahead of the close for a client that reads after all.
        disconnect(reason: .quotaExceeded, reasonString: "output not read for \(seconds) s")
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        closeConnection()
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // The client half-closed: nothing more will arrive, so the connection is over (and a
            // lingering close is done: the client has read what it wanted).
            if lingering {
                context.close(promise: nil)
            } else {
                closeConnection()
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: - Packets

    func packetReceived(_ packet: MQTTPacket) {
        let now = context?.eventLoop.now ?? .now()
        switch machine.packetReceived(packet, now: now) {
        case .processConnect(let connect):
            // The connect timer stays: it checks keep-alive when it fires (scheduleKeepAliveCheck).
            connectReceived(connect)
        case .process(let packet):
            process(packet)
        case .buffered, .ignore:
            break
        case .protocolError(let message):
            protocolViolation(.protocolError, message)
        }
    }

    func process(_ packet: MQTTPacket) {
        guard let session else { return }
        switch packet {
        case .publish(let publish):
            publishReceived(publish, session: session)
        case .puback(let ack):
            if !session.pubAckReceived(ack.packetID) {
                logger.debug("PUBACK for unknown packet identifier", metadata: ["packet.id": "\(ack.packetID)"])
            }
        case .pubrec(let ack):
            if !session.pubRecReceived(ack.packetID, reasonCode: ack.reasonCode) {
                // Unknown identifier: release it anyway so the client can complete (MQTT 5 §4.3.3).
                writePacket(.pubrel(AckPacket(packetID: ack.packetID, reasonCode: .packetIdentifierNotFound)))
            }
        case .pubrel(let ack):
            let known = session.releasedQoS2(ack.packetID)
            // PUBCOMP even for an unknown identifier, so a client retrying after a lost PUBCOMP
            // completes [MQTT-4.3.3-11].
            writePacket(
                .pubcomp(AckPacket(packetID: ack.packetID, reasonCode: known ? .success : .packetIdentifierNotFound)))
        case .pubcomp(let ack):
            if !session.pubCompReceived(ack.packetID) {
                logger.debug("PUBCOMP for unknown packet identifier", metadata: ["packet.id": "\(ack.packetID)"])
            }
        case .subscribe(let subscribe):
            subscribeReceived(subscribe, session: session)
        case .unsubscribe(let unsubscribe):
            unsubscribeReceived(unsubscribe, session: session)
        case .pingreq:
            writePacket(.pingresp)  // [MQTT-3.12.4-1]
        case .disconnect(let disconnect):
            disconnectReceived(disconnect, session: session)
        case .auth:
            // No authentication method was agreed in CONNECT, so AUTH is a protocol error
            // [MQTT-3.15.2-1]; enhanced authentication is not offered.
            protocolViolation(.protocolError, "AUTH without an authentication method")
        case .connect, .connack, .suback, .unsuback, .pingresp:
            // Server-to-client packets from a client are a protocol error.
            protocolViolation(.protocolError, "unexpected \(packet.type) from a client")
        }
    }

    func disconnectReceived(_ disconnect: DisconnectPacket, session: SessionHandle) {
        if let expiry = disconnect.properties.sessionExpiryInterval {
            if connectSessionExpiry == 0 && expiry != 0 {
                // [MQTT-3.14.2-2]
                protocolViolation(.protocolError, "session expiry raised from 0 in DISCONNECT")
                return
            }
            session.updateExpiryInterval(min(expiry, broker.configuration.maxSessionExpiry))
        }
        clientDisconnectReason = disconnect.reasonCode
        logger.debug("client disconnected", metadata: ["reason": "\(disconnect.reasonCode)"])
        // The server closes after DISCONNECT [MQTT-3.14.4-1]; the session sees the close next.
        closeConnection()
    }

    // MARK: - Errors and closing

    func decodeFailed(_ error: MQTTDecodeError) {
        switch error.reasonCode {
        case .packetTooLarge: broker.stats.increment(.oversizePackets)
        case .malformedPacket: broker.stats.increment(.malformedPackets)
        default: broker.stats.increment(.protocolErrors)
        }
        if machine.state == .awaitingConnect || machine.state == .openingSession && session == nil {
            logger.info("bad CONNECT, closing", metadata: ["reason": "\(error.reasonCode)", "error": "\(error.message)"])
            switch error.reasonCode {
            case .unsupportedProtocolVersion:
                // [MQTT-3.1.2-2]: answer with CONNACK 0x01 (0x84 in MQTT 5 terms), then close. The
                // client's version is unknown, so the 3.1.1 form is used, as Mosquitto does.
                refuseConnect(.unsupportedProtocolVersion, version: .v3_1_1)
            case .clientIdentifierNotValid:
                // Only 3.1 and 3.1.1 CONNECTs are refused for their identifier by the codec
                // [MQTT-3.1.3-8]; both versions share the CONNACK form (return code 0x02).
                refuseConnect(.clientIdentifierNotValid, version: .v3_1_1)
            default:
                closeConnection()
            }
            return
        }
        protocolViolation(error.reasonCode, error.message)
    }

    /// Ends the connection for a protocol violation: MQTT 5 clients get DISCONNECT with the
    /// reason code first (MQTT 5 §4.13); 3.1.1 clients are simply disconnected [MQTT-4.8.0-1].
    func protocolViolation(_ reason: ReasonCode, _ message: String) {
        if reason == .protocolError { broker.stats.increment(.protocolErrors) }
        logger.info(
            "protocol violation, closing",
            metadata: ["client.id": "\(clientID)", "reason": "\(reason)", "error": "\(message)"])
        disconnect(reason: reason, reasonString: message)
    }

    /// Sends DISCONNECT (MQTT 5 only; before CONNACK nothing) and closes.
    package func disconnect(reason: ReasonCode, reasonString: String?) {
        if serverDisconnectReason == nil { serverDisconnectReason = reason }
        guard machine.state == .connected || machine.state == .openingSession else {
            closeConnection()
            return
        }
        if protocolVersion == .v5 && session != nil {
            var properties = Properties()
            if let reasonString, sendReasonStrings { properties.append(.reasonString(Self.truncated(reasonString))) }
            writePacket(.disconnect(DisconnectPacket(reasonCode: reason, properties: properties)))
            closeAfterReason()
            return
        }
        closeConnection()
    }

    /// Flushes what was written and closes the channel once.
    func closeConnection() {
        guard machine.closeRequested(), let context else { return }
        input = nil
        flushIfNeeded()
        context.close(promise: nil)
    }

    /// Closes after a packet that says why (DISCONNECT with a reason code, CONNACK refusing):
    /// half-closes once it is written, drops what still arrives, and closes when the client does
    /// or after `closeLingerTimeout` (DESIGN §9). Closing at once would make the kernel answer the
    /// client's bytes still in flight with a reset, and the client might never read the reason
    /// (the Paho MQTT 5 test `test_flow_control2` fails so against brokers that do).
    func closeAfterReason() {
        guard machine.closeRequested(), let context else { return }
        input = nil
        flushIfNeeded()
        lingering = true
        broker.stats.increment(.lingeringCloses)
        // Waits for the writes before it; a transport that cannot half-close closes instead.
        context.close(mode: .output).assumeIsolated().whenFailure { [self] _ in
            self.context?.close(promise: nil)
        }
        // For the broker the connection is over now: its session, will, status event and slot
        // under max-connections do not wait for the client to close.
        connectionEnded()
        occasional.linger = context.eventLoop.assumeIsolated().scheduleTask(in: broker.configuration.closeLingerTimeout) {
            [self] in
            occasionalTimers?.linger = nil
            broker.stats.increment(.lingeringClosesTimedOut)
            self.context?.close(promise: nil)
        }
        context.read()
    }

    /// The session opened: decode what waited behind CONNECT, then read on.
    func resumeReadingIfPaused() {
        guard let context else { return }
        if input != nil {
            decodeTurn()
        } else if flow.readMayResume(sessionOpen: machine.isReading) == .read {
            context.read()
        }
    }
}

@available(*, unavailable)
extension MQTTConnectionHandler: Sendable {}
