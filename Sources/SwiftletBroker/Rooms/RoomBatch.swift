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

/// The messages published into one room during one batch window, with the room's rate ceiling
/// applied as they arrive (DESIGN §4.5).
///
/// Messages keep their arrival order; a message pushed out by `drop_oldest` or `sample` leaves a
/// hole rather than shifting the others, so every admission is O(1). Only QoS 0 messages count
/// against the ceiling and only they are ever dropped (see ``RoomPolicy``).
package struct RoomBatch<Message> {
    private var slots: [Message?] = []
    /// Slots of the QoS 0 messages still in the batch, oldest first (from `oldest` on for
    /// `drop_oldest`; as a reservoir, in no order, for `sample`).
    private var qos0Slots: [Int] = []
    private var oldest = 0
    /// QoS 0 messages offered this window, admitted or not: the reservoir's denominator.
    private var qos0Offered = 0
    /// The window's QoS 0 capacity; nil for no ceiling.
    package let capacity: Int?
    package let overflow: RoomOverflowPolicy

    package init(capacity: Int?, overflow: RoomOverflowPolicy) {
        self.capacity = capacity
        self.overflow = overflow
    }

    package var isEmpty: Bool { slots.isEmpty }

    /// Adds a message. Returns how many messages the ceiling dropped (0 or 1): the new one, or
    /// for `drop_oldest` and `sample` possibly an earlier one in its place.
    package mutating func add(
        _ message: Message, isQoS0: Bool, using random: inout some RandomNumberGenerator
    ) -> Int {
        guard isQoS0, let capacity else {
            slots.append(message)
            return 0
        }
        qos0Offered += 1
        let live = qos0Slots.count - oldest
        if live < capacity {
            qos0Slots.append(slots.count)
            slots.append(message)
            return 0
        }
        switch overflow {
        case .dropNewest:
            return 1
        case .dropOldest:
            slots[qos0Slots[oldest]] = nil
            oldest += 1
            qos0Slots.append(slots.count)
            slots.append(message)
            return 1
        case .sample:
            // Reservoir sampling (Vitter's algorithm R): after n offers, each of them is in the
            // batch with probability capacity / n, whatever the arrival pattern.
            let pick = Int.random(in: 0..<qos0Offered, using: &random)
            guard pick < capacity else { return 1 }
            slots[qos0Slots[pick]] = nil
            qos0Slots[pick] = slots.count
            slots.append(message)
            return 1
        }
    }

    /// The window's messages in arrival order; the batch is empty afterwards.
    package mutating func take() -> [Message] {
        var messages: [Message] = []
        messages.reserveCapacity(slots.count)
        for case let message? in slots { messages.append(message) }
        self = RoomBatch(capacity: capacity, overflow: overflow)
        return messages
    }
}
