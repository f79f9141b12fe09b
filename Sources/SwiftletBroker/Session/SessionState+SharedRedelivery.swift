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

extension SessionState {
    /// The QoS 1/2 messages this session got through a shared subscription and has not acknowledged, oldest first:
    /// in flight in the order they were sent, then queued. What another member of each group should get when this
    /// session ends (MQTT 5 §4.8.2).
    ///
    /// A QoS 2 message whose PUBREC arrived is left out: the client has it, and sending it to another member would
    /// deliver it twice.
    func unacknowledgedSharedDeliveries() -> [OutboundDelivery] {
        var result: [OutboundDelivery] = []
        for entry in self.inflight {
            guard entry.phase == .awaitingAcknowledgement, entry.delivery.sharedSubscription != nil else {
                continue
            }
            result.append(entry.delivery)
        }
        for delivery in self.queue where delivery.sharedSubscription != nil && delivery.qos != .atMostOnce {
            result.append(delivery)
        }
        return result
    }
}
