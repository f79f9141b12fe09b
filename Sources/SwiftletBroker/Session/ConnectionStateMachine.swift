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
import NIOCore
import SwiftletMQTT

/// The lifecycle of one client connection as the server sees it: waiting for CONNECT, opening
/// the session, connected, closing. Pure logic without I/O; the handler switches over the actions
/// (STYLE §8.1). Timers are data: the machine holds deadlines and answers what a firing timer
/// means, so keep-alive needs no re-arming per packet (STYLE §2.8).
package struct ConnectionStateMachine: Sendable {
    package enum State: Sendable, Hashable {
        case awaitingConnect
        /// CONNECT accepted; the session is being opened (possibly taken over on another loop).
        /// Packets the client pipelines behind CONNECT wait until it is ready.
        case openingSession
        case connected
        case closing
        case closed
    }

    package enum PacketAction: Sendable, Hashable {
        case processConnect(ConnectPacket)
        case process(MQTTPacket)
        /// Held until the session is open; the handler also stops reading from the socket.
        case buffered
        /// Arrived after the connection started closing: ignore it.
        case ignore
        case protocolError(String)
    }

    package enum TimerAction: Sendable, Hashable {
        case none
        case reschedule(in: TimeAmount)
        case closeConnectTimeout
        case closeKeepAliveTimeout
    }

    package private(set) var state: State = .awaitingConnect
    private var buffered: Deque<MQTTPacket> = []
    private let maxBufferedPackets: Int
    /// 1.5 × the keep-alive in effect [MQTT-3.1.2-22]; nil when keep-alive is off.
    package private(set) var keepAliveTimeout: TimeAmount?
    private var lastPacketAt: NIODeadline

    package init(now: NIODeadline, maxBufferedPackets: Int = 1024) {
        self.lastPacketAt = now
        self.maxBufferedPackets = maxBufferedPackets
    }

    package mutating func packetReceived(_ packet: MQTTPacket, now: NIODeadline) -> PacketAction {
        lastPacketAt = now
        switch state {
        case .awaitingConnect:
            guard case .connect(let connect) = packet else {
                // The first packet from a client must be CONNECT [MQTT-3.1.0-1].
                return .protocolError("first packet is not CONNECT")
            }
            state = .openingSession
            return .processConnect(connect)
        case .openingSession:
            if case .connect = packet { return .protocolError("second CONNECT") }  // [MQTT-3.1.0-2]
            guard buffered.count < maxBufferedPackets else {
                return .protocolError("too many packets before the session opened")
            }
            buffered.append(packet)
            return .buffered
        case .connected:
            if case .connect = packet { return .protocolError("second CONNECT") }  // [MQTT-3.1.0-2]
            return .process(packet)
        case .closing, .closed:
            return .ignore
        }
    }

    /// The session is open and CONNACK sent. Returns the packets that arrived meanwhile, to be
    /// processed in order before anything newer.
    package mutating func sessionOpened(keepAlive: UInt16, now: NIODeadline) -> Deque<MQTTPacket> {
        guard state == .openingSession else { return [] }
        state = .connected
        lastPacketAt = now
        // A keep-alive of 0 turns the mechanism off [MQTT-3.1.2-22]; otherwise the server allows
        // one and a half times the interval.
        keepAliveTimeout = keepAlive == 0 ? nil : .milliseconds(Int64(keepAlive) * 1500)
        defer { buffered.removeAll() }
        return buffered
    }

    /// The connect timer fired: close if CONNECT has not arrived.
    package func connectTimerFired() -> TimerAction {
        state == .awaitingConnect ? .closeConnectTimeout : .none
    }

    /// The keep-alive timer fired: close, or wait for the rest of the interval.
    package func keepAliveTimerFired(now: NIODeadline) -> TimerAction {
        guard state == .connected, let timeout = keepAliveTimeout else { return .none }
        let idle = now - lastPacketAt
        if idle >= timeout { return .closeKeepAliveTimeout }
        return .reschedule(in: timeout - idle)
    }

    /// Returns false if the connection was already closing.
    package mutating func closeRequested() -> Bool {
        switch state {
        case .closing, .closed: return false
        default:
            state = .closing
            buffered.removeAll()
            return true
        }
    }

    package mutating func channelInactive() {
        state = .closed
        buffered.removeAll()
    }

    package var isReading: Bool { state != .openingSession }
}
