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

/// Receives the events of client connections, on their event loop.
///
/// One delegate may serve many connections of one loop (the load generator has one per loop);
/// every method is called on the connection's event loop, so a delegate confined to that loop
/// needs no lock (STYLE §8.4).
package protocol MQTTClientDelegate: AnyObject {
    /// CONNACK accepted the connection.
    func clientConnected(_ client: MQTTClientConnection, connack: ConnAckPacket)
    /// A message arrived. Its payload is a slice of the read buffer: read it, don't keep it
    /// around longer than needed.
    func client(_ client: MQTTClientConnection, received publish: PublishPacket)
    /// An outbound QoS 1 (PUBACK) or QoS 2 (PUBCOMP) message is acknowledged.
    func client(_ client: MQTTClientConnection, acknowledged packetID: UInt16)
    /// The same, with the acknowledgement's reason code (MQTT 5: 0x10 no matching subscribers, 0x87 not
    /// authorized, …). By default forwards to ``client(_:acknowledged:)``.
    func client(_ client: MQTTClientConnection, acknowledged packetID: UInt16, reasonCode: ReasonCode)
    /// UNSUBACK arrived.
    func client(_ client: MQTTClientConnection, unsubscribed unsuback: UnsubAckPacket)
    /// SUBACK arrived.
    func client(_ client: MQTTClientConnection, subscribed suback: SubAckPacket)
    /// The connection closed; `error` is `nil` after a clean ``MQTTClientConnection/disconnect()``.
    /// Called once, also when the connection never got its CONNACK.
    func clientClosed(_ client: MQTTClientConnection, error: (any Error)?)
    /// TCP connect failed, before any ``MQTTClientConnection`` existed.
    func clientFailedToConnect(tag: Int, error: any Error)
}

extension MQTTClientDelegate {
    package func client(_ client: MQTTClientConnection, acknowledged packetID: UInt16) {}
    package func client(_ client: MQTTClientConnection, acknowledged packetID: UInt16, reasonCode: ReasonCode) {
        self.client(client, acknowledged: packetID)
    }
    package func client(_ client: MQTTClientConnection, unsubscribed unsuback: UnsubAckPacket) {}
    package func client(_ client: MQTTClientConnection, subscribed suback: SubAckPacket) {}
}
