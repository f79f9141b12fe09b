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

import SwiftletMQTT

/// The protocol logic of one client connection, with no I/O (STYLE §8.1): the handler feeds it
/// events and acts on the returned actions.
///
/// It covers what a load generator and tests need: CONNECT/CONNACK, PUBLISH at QoS 0, 1 and 2 in
/// both directions, SUBSCRIBE/UNSUBSCRIBE, keep-alive pings and DISCONNECT, for MQTT 3.1, 3.1.1
/// and 5.0. It keeps no session across connections (no persistent-session resend).
package struct MQTTClientStateMachine: Sendable {
    /// Where the connection is in its life.
    package enum State: Hashable, Sendable {
        /// Not started: nothing sent yet.
        case idle
        /// CONNECT sent, waiting for CONNACK.
        case connecting
        /// CONNACK accepted the connection.
        case connected
        /// DISCONNECT sent or the connection failed; nothing more is sent.
        case closing
    }

    /// Why the client closes the connection on its own.
    package enum CloseReason: Hashable, Sendable, CustomStringConvertible {
        case connectionRefused(ReasonCode)
        case protocolViolation(String)
        case noPingResponse
        case serverDisconnected(ReasonCode)

        package var description: String {
            switch self {
            case .connectionRefused(let code): "connection refused with \(code)"
            case .protocolViolation(let what): "protocol violation: \(what)"
            case .noPingResponse: "no PINGRESP within a keep-alive period"
            case .serverDisconnected(let code): "server sent DISCONNECT \(code)"
            }
        }
    }

    /// What to do with a received packet.
    package enum PacketAction: Sendable {
        /// Nothing (PINGRESP, an acknowledgement of an unknown packet identifier, …).
        case none
        /// CONNACK accepted: the connection is up.
        case connected(ConnAckPacket)
        /// Hand the message to the application; send `reply` (PUBACK or PUBREC) if not `nil`.
        case deliver(PublishPacket, reply: MQTTPacket?)
        /// Send this packet and nothing else (PUBREL after PUBREC, PUBCOMP after PUBREL, or PUBREC
        /// for a QoS 2 message already delivered).
        case reply(MQTTPacket)
        /// An outbound QoS 1 or 2 message is acknowledged (PUBACK or PUBCOMP, or a PUBREC that refused it), with
        /// the acknowledgement's reason code (MQTT 5; always success for 3.1.1).
        case acknowledged(packetID: UInt16, reasonCode: ReasonCode)
        /// SUBACK arrived.
        case subscribed(SubAckPacket)
        /// UNSUBACK arrived.
        case unsubscribed(UnsubAckPacket)
        /// Close the connection without sending anything more.
        case close(CloseReason)
    }

    /// What to do with a publish request.
    package enum PublishAction: Hashable, Sendable {
        /// Send the PUBLISH with this packet identifier (`nil` at QoS 0).
        case send(packetID: UInt16?)
        /// QoS 1 or 2 and the in-flight window is full: try again after an acknowledgement.
        case inflightFull
        /// Not connected: drop it.
        case notConnected
    }

    /// What to do when the keep-alive timer fires.
    package enum PingAction: Hashable, Sendable {
        case sendPingRequest
        case close(CloseReason)
        case none
    }

    package private(set) var state: State = .idle
    package let version: ProtocolVersion
    /// How many outbound QoS 1/2 messages may wait for their acknowledgement at once: the
    /// configured window, lowered to the server's Receive Maximum (MQTT 5 §3.2.2.3.3).
    package private(set) var maximumInflight: Int
    /// Packet identifiers of outbound QoS 1/2 messages, SUBSCRIBEs and UNSUBSCRIBEs in flight.
    private var inUse: Set<UInt16> = []
    private var inflightPublishes = 0
    /// QoS 2 messages received and delivered whose PUBREL has not come yet (MQTT 5 §4.3.3,
    /// method B: deliver on PUBLISH, then suppress a resent PUBLISH with the same identifier).
    private var awaitingRelease: Set<UInt16> = []
    private var nextPacketID: UInt16 = 1
    private var pingOutstanding = false
    /// Whether the application acknowledges inbound QoS 1 messages itself (PUBACK after processing) instead of
    /// the state machine answering at once.
    package let manualAcknowledgement: Bool

    /// How many outbound QoS 1/2 messages wait for their acknowledgement.
    package var inflightCount: Int { self.inflightPublishes }

    /// - Parameters:
    ///   - version: The protocol version the CONNECT will carry.
    ///   - maximumInflight: The most outbound QoS 1/2 messages in flight; at least 1.
    ///   - manualAcknowledgement: The application sends PUBACK for inbound QoS 1 messages.
    package init(version: ProtocolVersion, maximumInflight: Int = 1024, manualAcknowledgement: Bool = false) {
        self.version = version
        self.manualAcknowledgement = manualAcknowledgement
        self.maximumInflight = max(1, min(maximumInflight, 65_000))
    }

    // MARK: - Events

    /// The transport is ready: send CONNECT.
    package mutating func start() {
        precondition(self.state == .idle, "Internal inconsistency: start() called twice")
        self.state = .connecting
    }

    /// A packet arrived from the server.
    package mutating func packetReceived(_ packet: MQTTPacket) -> PacketAction {
        switch self.state {
        case .idle:
            return self.violation("\(packet.type) before CONNECT was sent")
        case .closing:
            return .none
        case .connecting:
            guard case .connack(let connack) = packet else {
                // [MQTT-3.2.0-1]: the first packet from the server MUST be CONNACK.
                return self.violation("\(packet.type) before CONNACK")
            }
            guard !connack.reasonCode.isFailure else {
                self.state = .closing
                return .close(.connectionRefused(connack.reasonCode))
            }
            if self.version == .v5, let receiveMaximum = connack.properties.receiveMaximum {
                // MQTT 5 §3.2.2.3.3: the client MUST NOT send more than Receive Maximum QoS 1/2
                // PUBLISH packets for which it has not received PUBACK/PUBCOMP.
                self.maximumInflight = min(self.maximumInflight, Int(receiveMaximum))
            }
            self.state = .connected
            return .connected(connack)
        case .connected:
            return self.connectedPacketReceived(packet)
        }
    }

    private mutating func connectedPacketReceived(_ packet: MQTTPacket) -> PacketAction {
        switch packet {
        case .publish(let publish):
            switch publish.qos {
            case .atMostOnce:
                return .deliver(publish, reply: nil)
            case .atLeastOnce:
                // MQTT 5 §4.3.2: PUBACK with the same packet identifier; with manual acknowledgement the
                // application sends it (at-least-once processing: an unacknowledged message is sent again).
                guard !self.manualAcknowledgement else { return .deliver(publish, reply: nil) }
                return .deliver(publish, reply: .puback(AckPacket(packetID: publish.packetID!)))
            case .exactlyOnce:
                let packetID = publish.packetID!
                let reply = MQTTPacket.pubrec(AckPacket(packetID: packetID))
                // MQTT 5 §4.3.3: until PUBREL, a PUBLISH with this identifier is the same message.
                guard self.awaitingRelease.insert(packetID).inserted else { return .reply(reply) }
                return .deliver(publish, reply: reply)
            }
        case .puback(let ack):
            return self.complete(ack.packetID, ack.reasonCode)
        case .pubrec(let ack):
            guard self.inUse.contains(ack.packetID) else {
                // MQTT 5 §4.3.3: answer an unknown identifier with PUBREL 0x92 so the server can
                // finish; 3.1.1 has no reason code, so a plain PUBREL.
                let reasonCode = self.version == .v5 ? ReasonCode(0x92) : ReasonCode.success
                return .reply(.pubrel(AckPacket(packetID: ack.packetID, reasonCode: reasonCode)))
            }
            if ack.reasonCode.isFailure {
                // MQTT 5 §4.3.3: a PUBREC with a failure reason ends the flow.
                return self.complete(ack.packetID, ack.reasonCode)
            }
            // The identifier stays in use until PUBCOMP [MQTT-4.3.3-2].
            return .reply(.pubrel(AckPacket(packetID: ack.packetID)))
        case .pubrel(let ack):
            // MQTT 5 §4.3.3: PUBCOMP, whether or not the identifier was known.
            self.awaitingRelease.remove(ack.packetID)
            return .reply(.pubcomp(AckPacket(packetID: ack.packetID)))
        case .pubcomp(let ack):
            return self.complete(ack.packetID, ack.reasonCode)
        case .suback(let suback):
            self.inUse.remove(suback.packetID)
            return .subscribed(suback)
        case .unsuback(let unsuback):
            self.inUse.remove(unsuback.packetID)
            return .unsubscribed(unsuback)
        case .pingresp:
            self.pingOutstanding = false
            return .none
        case .disconnect(let disconnect):
            self.state = .closing
            return .close(.serverDisconnected(disconnect.reasonCode))
        case .connack:
            return self.violation("second CONNACK")  // [MQTT-3.2.0-2]
        case .connect, .subscribe, .unsubscribe, .pingreq, .auth:
            return self.violation("\(packet.type) from the server")
        }
    }

    private mutating func complete(_ packetID: UInt16, _ reasonCode: ReasonCode) -> PacketAction {
        guard self.inUse.remove(packetID) != nil else { return .none }
        self.inflightPublishes -= 1
        return .acknowledged(packetID: packetID, reasonCode: reasonCode)
    }

    private mutating func violation(_ what: String) -> PacketAction {
        self.state = .closing
        return .close(.protocolViolation(what))
    }

    /// The application wants to publish at `qos`.
    package mutating func publishRequested(qos: QoS) -> PublishAction {
        guard self.state == .connected else { return .notConnected }
        guard qos != .atMostOnce else { return .send(packetID: nil) }
        guard self.inflightPublishes < self.maximumInflight else { return .inflightFull }
        self.inflightPublishes += 1
        return .send(packetID: self.allocatePacketID())
    }

    /// The application wants to send SUBSCRIBE or UNSUBSCRIBE.
    ///
    /// - Returns: The packet identifier to use, or `nil` when not connected.
    package mutating func subscriptionRequested() -> UInt16? {
        guard self.state == .connected else { return nil }
        return self.allocatePacketID()
    }

    /// The keep-alive timer fired (every keep-alive interval while connected).
    ///
    /// MQTT 5 §3.1.2.10: the client sends PINGREQ when it has nothing else to send within the
    /// keep-alive; sending it on a fixed period, whatever else was sent, is simpler and allowed.
    /// A PINGREQ still unanswered one period later closes the connection (MQTT 5 §3.1.2.10: "If
    /// a Client does not receive a PINGRESP packet within a reasonable amount of time after it
    /// has sent a PINGREQ, it SHOULD close the Network Connection").
    package mutating func keepAliveTimerFired() -> PingAction {
        guard self.state == .connected else { return .none }
        guard !self.pingOutstanding else {
            self.state = .closing
            return .close(.noPingResponse)
        }
        self.pingOutstanding = true
        return .sendPingRequest
    }

    /// The application closes: send DISCONNECT if connected.
    ///
    /// - Returns: Whether to send DISCONNECT before closing the transport.
    package mutating func disconnectRequested() -> Bool {
        let wasConnected = self.state == .connected
        self.state = .closing
        return wasConnected
    }

    /// The transport closed.
    package mutating func channelClosed() {
        self.state = .closing
    }

    /// The next free packet identifier, non-zero [MQTT-2.2.1-3], not in use by another flow
    /// [MQTT-2.2.1-4]. The in-flight limit keeps the search short.
    private mutating func allocatePacketID() -> UInt16 {
        while true {
            let candidate = self.nextPacketID
            self.nextPacketID = candidate == .max ? 1 : candidate + 1
            if self.inUse.insert(candidate).inserted { return candidate }
        }
    }
}
