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
import Testing

@testable import SwiftletBroker

/// The connection lifecycle as pure logic, with explicit deadlines and no channel (STYLE §4, §8.1).
@Suite("ConnectionStateMachine")
struct ConnectionStateMachineTests {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    private let connect = MQTTPacket.connect(
        ConnectPacket(version: .v5, cleanStart: true, keepAlive: 10, clientID: "alice"))
    private let publish = MQTTPacket.publish(PublishPacket(topic: "t", payload: ByteBuffer(string: "m")))
    private let subscribe = MQTTPacket.subscribe(
        SubscribePacket(packetID: 1, subscriptions: [SubscriptionRequest(topicFilter: "t", qos: .atMostOnce)]))

    /// A machine that accepted CONNECT and opened the session at `start` with `keepAlive`.
    private func connected(keepAlive: UInt16) -> ConnectionStateMachine {
        var machine = ConnectionStateMachine(now: start)
        _ = machine.packetReceived(connect, now: start)
        _ = machine.sessionOpened(keepAlive: keepAlive, now: start)
        return machine
    }

    // MARK: - Awaiting CONNECT

    @Test("CONNECT first is processed and opens the session")
    func connectFirst() {
        var machine = ConnectionStateMachine(now: start)
        #expect(machine.state == .awaitingConnect)
        #expect(machine.isReading)
        guard case .processConnect(let packet) = machine.packetReceived(connect, now: start) else {
            Issue.record("CONNECT was not processed")
            return
        }
        #expect(MQTTPacket.connect(packet) == connect)
        #expect(machine.state == .openingSession)
    }

    @Test(
        "A first packet that is not CONNECT is a protocol error",
        arguments: [MQTTPacket.pingreq, .disconnect(DisconnectPacket())])
    func firstPacketNotConnect(packet: MQTTPacket) {
        var machine = ConnectionStateMachine(now: start)
        // [MQTT-3.1.0-1]
        guard case .protocolError = machine.packetReceived(packet, now: start) else {
            Issue.record("expected a protocol error")
            return
        }
        #expect(machine.state == .awaitingConnect)
    }

    // MARK: - Opening the session

    @Test("Packets behind CONNECT wait while the session opens, then come out in order")
    func bufferingWhileOpening() {
        var machine = ConnectionStateMachine(now: start)
        _ = machine.packetReceived(connect, now: start)
        // Reading pauses so pipelined packets wait in the socket.
        #expect(!machine.isReading)
        #expect(machine.packetReceived(subscribe, now: start) == .buffered)
        #expect(machine.packetReceived(publish, now: start) == .buffered)
        #expect(machine.packetReceived(.pingreq, now: start) == .buffered)

        let released = machine.sessionOpened(keepAlive: 10, now: start)
        #expect(Array(released) == [subscribe, publish, .pingreq])
        #expect(machine.state == .connected)
        #expect(machine.isReading)
        // Later packets are processed directly.
        #expect(machine.packetReceived(publish, now: start) == .process(publish))
    }

    @Test("A second CONNECT is a protocol error, before and after the session opened")
    func secondConnect() {
        var opening = ConnectionStateMachine(now: start)
        _ = opening.packetReceived(connect, now: start)
        // [MQTT-3.1.0-2]
        guard case .protocolError = opening.packetReceived(connect, now: start) else {
            Issue.record("second CONNECT while opening was accepted")
            return
        }
        var machine = connected(keepAlive: 0)
        guard case .protocolError = machine.packetReceived(connect, now: start) else {
            Issue.record("second CONNECT while connected was accepted")
            return
        }
    }

    @Test("The buffer while opening is bounded")
    func bufferIsBounded() {
        var machine = ConnectionStateMachine(now: start, maxBufferedPackets: 2)
        _ = machine.packetReceived(connect, now: start)
        #expect(machine.packetReceived(publish, now: start) == .buffered)
        #expect(machine.packetReceived(publish, now: start) == .buffered)
        // DESIGN §9: every input has a limit.
        guard case .protocolError = machine.packetReceived(publish, now: start) else {
            Issue.record("a third packet was buffered")
            return
        }
    }

    @Test("A refused CONNECT drops what was buffered and ignores what follows")
    func refusedConnect() {
        var machine = ConnectionStateMachine(now: start)
        _ = machine.packetReceived(connect, now: start)
        _ = machine.packetReceived(publish, now: start)
        // A refusal closes (after the CONNACK is written).
        let closing = machine.closeRequested()
        #expect(closing)
        #expect(machine.state == .closing)
        #expect(machine.packetReceived(publish, now: start) == .ignore)
        #expect(machine.sessionOpened(keepAlive: 10, now: start).isEmpty)
        #expect(machine.state == .closing)
    }

    // MARK: - Keep-alive (timers are data, STYLE §8.8)

    @Test("Keep-alive allows one and a half times the interval")
    func keepAliveTimeout() {
        let machine = connected(keepAlive: 10)
        // [MQTT-3.1.2-22]
        #expect(machine.keepAliveTimeout == .seconds(15))
        #expect(machine.keepAliveTimerFired(now: start + .seconds(15)) == .closeKeepAliveTimeout)
        #expect(machine.keepAliveTimerFired(now: start + .seconds(20)) == .closeKeepAliveTimeout)
    }

    @Test("Activity in between reschedules the keep-alive check for the time left")
    func keepAliveReschedule() {
        var machine = connected(keepAlive: 10)
        _ = machine.packetReceived(.pingreq, now: start + .seconds(6))
        // Fired at the original deadline: 9 s idle, so wait the remaining 6 s instead of closing.
        #expect(machine.keepAliveTimerFired(now: start + .seconds(15)) == .reschedule(in: .seconds(6)))
        #expect(machine.keepAliveTimerFired(now: start + .seconds(21)) == .closeKeepAliveTimeout)
    }

    @Test("Keep-alive 0 turns the check off")
    func keepAliveOff() {
        let machine = connected(keepAlive: 0)
        // [MQTT-3.1.2-22]: a Keep Alive of 0 turns the mechanism off.
        #expect(machine.keepAliveTimeout == nil)
        #expect(machine.keepAliveTimerFired(now: start + .hours(24)) == TimerActionNone.value)
    }

    @Test("A keep-alive timer that fires after the close does nothing")
    func keepAliveAfterClose() {
        var machine = connected(keepAlive: 10)
        let first = machine.closeRequested()
        let second = machine.closeRequested()
        #expect(first)
        #expect(!second)
        #expect(machine.keepAliveTimerFired(now: start + .seconds(60)) == TimerActionNone.value)
        machine.channelInactive()
        #expect(machine.state == .closed)
        #expect(machine.packetReceived(publish, now: start) == .ignore)
    }

    // MARK: - Connect timeout

    @Test("The connect timer closes a connection still waiting for CONNECT")
    func connectTimeoutFires() {
        let machine = ConnectionStateMachine(now: start)
        // DESIGN §9: CONNECT timeout for silent sockets.
        #expect(machine.connectTimerFired() == .closeConnectTimeout)
    }

    @Test("The connect timer does nothing once CONNECT arrived")
    func connectTimeoutAfterConnect() {
        var machine = ConnectionStateMachine(now: start)
        _ = machine.packetReceived(connect, now: start)
        #expect(machine.connectTimerFired() == TimerActionNone.value)
        _ = machine.sessionOpened(keepAlive: 0, now: start)
        #expect(machine.connectTimerFired() == TimerActionNone.value)
    }
}

/// `.none` of ``ConnectionStateMachine/TimerAction``, spelled out: in an `==` against an optional
/// context a bare `.none` would read as `Optional.none`.
private enum TimerActionNone {
    static let value = ConnectionStateMachine.TimerAction.none
}
