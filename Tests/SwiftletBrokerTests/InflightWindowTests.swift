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

/// The outbound QoS 1/2 window and packet identifier choice as plain values (STYLE §4).
@Suite("InflightWindow")
struct InflightWindowTests {
    private func delivery(_ text: String, qos: QoS = .atLeastOnce) -> OutboundDelivery {
        OutboundDelivery(
            message: RoutedMessage(topic: "t", payload: ByteBuffer(string: text), qos: qos, retain: false),
            qos: qos, retain: false, subscriptionIdentifiers: [])
    }

    @Test("entries keep send order; in-order and out-of-order acknowledgements remove the right one")
    func order() {
        var window = InflightWindow()
        window.append(delivery("a"), packetID: 7, byteCost: 10)
        window.append(delivery("b", qos: .exactlyOnce), packetID: 3, byteCost: 20)
        window.append(delivery("c"), packetID: 9, byteCost: 30)
        #expect(window.map(\.packetID) == [7, 3, 9])
        #expect(window.status(of: 3)?.qos == .exactlyOnce)
        #expect(window.status(of: 3)?.phase == .awaitingAcknowledgement)
        #expect(window.status(of: 4) == nil)

        let outOfOrder = window.remove(3)
        let oldest = window.remove(7)
        let again = window.remove(7)
        #expect(outOfOrder == 20 && oldest == 10 && again == nil)
        #expect(window.map(\.packetID) == [9])
        #expect(window.count == 1 && !window.contains(3) && window.contains(9))
    }

    @Test("setPhase changes one entry in place")
    func phase() {
        var window = InflightWindow()
        window.append(delivery("a", qos: .exactlyOnce), packetID: 1, byteCost: 1)
        window.append(delivery("b", qos: .exactlyOnce), packetID: 2, byteCost: 1)
        window.setPhase(.awaitingCompletion, packetID: 2)
        #expect(window.status(of: 1)?.phase == .awaitingAcknowledgement)
        #expect(window.status(of: 2)?.phase == .awaitingCompletion)
    }

    @Test("a preferred identifier is taken when free, else the session's next free one [MQTT-2.2.1-3]")
    func preferredPacketID() {
        var state = SessionState()
        let first = state.allocatePacketID(preferring: 500)
        #expect(first == 500)
        state.addInflight(delivery("a"), packetID: 500)
        // 500 is in use in this session now: the next free identifier of its own sequence instead.
        let second = state.allocatePacketID(preferring: 500)
        #expect(second == 1)
        state.addInflight(delivery("b"), packetID: 1)
        let third = state.allocatePacketID(preferring: nil)
        let fourth = state.allocatePacketID(preferring: 0)  // 0 is never a packet identifier [MQTT-2.2.1-3]
        #expect(third == 2 && fourth == 3)
        #expect(state.inflightCount == 2)
        let completed = state.completeInflight(500)
        let reused = state.allocatePacketID(preferring: 500)
        #expect(completed && reused == 500)
    }

    @Test("bytes held in flight follow additions and completions")
    func heldBytes() {
        var state = SessionState()
        let message = delivery("payload")
        state.addInflight(message, packetID: 1)
        #expect(state.heldBytes == message.message.byteCost)
        let completed = state.completeInflight(1)
        let again = state.completeInflight(1)
        #expect(completed && !again && state.heldBytes == 0)
    }
}
