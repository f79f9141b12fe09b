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
import SwiftletMQTT

/// The outbound QoS 1/2 messages a session sent and its client has not fully acknowledged, in the
/// order they were sent, which is the order they are sent again on reconnect [MQTT-4.6.0-1].
///
/// Flat storage rather than a dictionary by packet identifier: the window is small (the client's
/// Receive Maximum capped by `max-inflight`, 32 by default) and clients acknowledge in order as a
/// rule [MQTT-4.6.0-2], so the usual lookup is a compare with the oldest entry, and the
/// identifiers a scan walks are 2 bytes each, contiguous. Both deques keep their capacity, so a
/// session in its steady state allocates nothing per message sent or acknowledged.
package struct InflightWindow: Sendable, Sequence {
    package struct Entry: Sendable {
        package var packetID: UInt16
        package var phase: InflightPhase
        package var delivery: OutboundDelivery
        /// The message's ``RoutedMessage/byteCost``, kept so that a removal need not read the message.
        package var byteCost: Int
    }

    /// The entries' packet identifiers, in the same order: what lookups scan.
    private var packetIDs: Deque<UInt16> = []
    /// Oldest first.
    private var entries: Deque<Entry> = []

    package init() {}

    package var count: Int { packetIDs.count }
    package var isEmpty: Bool { packetIDs.isEmpty }

    package func makeIterator() -> Deque<Entry>.Iterator { entries.makeIterator() }

    /// Where `packetID` is in the window, or nil if it is not in use.
    private func index(of packetID: UInt16) -> Int? {
        if packetIDs.first == packetID { return 0 }
        return packetIDs.firstIndex(of: packetID)
    }

    package func contains(_ packetID: UInt16) -> Bool { index(of: packetID) != nil }

    /// Where `packetID`'s message stands and at which QoS it went out, read in place: an
    /// acknowledgement checks these without copying the entry and the references it holds.
    package func status(of packetID: UInt16) -> (phase: InflightPhase, qos: QoS)? {
        guard let index = index(of: packetID) else { return nil }
        return (entries[index].phase, entries[index].delivery.qos)
    }

    package mutating func append(_ delivery: consuming OutboundDelivery, packetID: UInt16, byteCost: Int) {
        packetIDs.append(packetID)
        entries.append(
            Entry(packetID: packetID, phase: .awaitingAcknowledgement, delivery: delivery, byteCost: byteCost))
    }

    package mutating func setPhase(_ phase: InflightPhase, packetID: UInt16) {
        guard let index = index(of: packetID) else { return }
        entries[index].phase = phase
    }

    /// Takes `packetID` out of the window; returns its message's byte cost, nil if it was not in
    /// use. The entry is dropped where it lies, not copied out.
    package mutating func remove(_ packetID: UInt16) -> Int? {
        guard let index = index(of: packetID) else { return nil }
        let byteCost = entries[index].byteCost
        if index == 0 {
            packetIDs.removeFirst(1)
            entries.removeFirst(1)
        } else {
            packetIDs.remove(at: index)
            entries.remove(at: index)
        }
        return byteCost
    }
}
