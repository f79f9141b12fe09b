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

/// What a room does with QoS 0 messages beyond its rate ceiling (DESIGN §4.5).
package enum RoomOverflowPolicy: String, Sendable, Hashable, CaseIterable {
    /// Messages over the ceiling are dropped as they arrive: the first ones of a window go out.
    case dropNewest = "drop_newest"
    /// The newest messages go out: each one over the ceiling pushes the oldest pending one out.
    /// Needs a batch window to hold them in.
    case dropOldest = "drop_oldest"
    /// A uniform random sample of the window's messages goes out, in publish order. Needs a batch
    /// window.
    case sample
}

/// How the topics that match a filter behave as rooms (DESIGN §5): a batch window, a rate
/// ceiling for the whole room, and a publish rate per client.
///
/// The ceiling and the overflow policy apply to QoS 0 messages only. A QoS 1 or 2 message has
/// been (or will be) acknowledged to its publisher, and an acknowledged message is never dropped
/// by policy; such messages pass and are not counted against the ceiling.
package struct RoomPolicy: Sendable, Hashable {
    /// The topic filter whose topics this policy governs. The first matching policy wins.
    package var filter: String
    /// Messages published into a room during this window go out together: one buffer per
    /// subscriber, one WebSocket message, compressed once per event loop. nil sends each at once.
    package var batchInterval: TimeAmount?
    /// QoS 0 messages per second the room forwards at most; nil for no ceiling.
    package var rateLimit: Int?
    /// What happens to QoS 0 messages above `rateLimit`.
    package var overflow: RoomOverflowPolicy
    /// Messages per second one client may publish into one room of this policy (bullet comments);
    /// nil for no limit. Over it, QoS 0 is dropped, MQTT 5 QoS 1/2 is refused with 0x97 (quota
    /// exceeded), and an MQTT 3.1.1 QoS 1/2 publisher is disconnected: 3.1.1 cannot refuse a
    /// message, and acknowledging one that is then dropped would lose it silently [MQTT-3.3.5-2].
    package var clientRateLimit: Int?

    package init(
        filter: String,
        batchInterval: TimeAmount? = nil,
        rateLimit: Int? = nil,
        overflow: RoomOverflowPolicy = .dropNewest,
        clientRateLimit: Int? = nil
    ) {
        self.filter = filter
        self.batchInterval = batchInterval
        self.rateLimit = rateLimit
        self.overflow = overflow
        self.clientRateLimit = clientRateLimit
    }

    /// Why the policy cannot be used, or nil if it can.
    package var problem: String? {
        // A plain topic filter: a policy governs topics, not shared-subscription groups.
        guard case .plain = SharedSubscriptionFilter.parse(filter) else { return "'\(filter)' is not a topic filter" }
        if let batchInterval, batchInterval <= .zero || batchInterval > .seconds(10) {
            return "batch_ms must be between 1 and 10000"
        }
        if let rateLimit, rateLimit <= 0 { return "rate_limit must be positive" }
        if let clientRateLimit, clientRateLimit <= 0 { return "client_rate_limit must be positive" }
        if overflow != .dropNewest, batchInterval == nil {
            // Dropping the oldest or sampling needs the window's messages held somewhere.
            return "overflow \(overflow.rawValue) needs batch_ms"
        }
        return nil
    }

    /// QoS 0 messages one batch window may carry under the ceiling: at least one.
    var windowCapacity: Int? {
        guard let rateLimit, let batchInterval else { return nil }
        let perWindow = (Int64(rateLimit) * batchInterval.nanoseconds + 999_999_999) / 1_000_000_000
        return Int(max(1, perWindow))
    }
}
