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
import Synchronization

/// Counters of the broker, readable as a BrokerStats/Snapshot at any time.
///
/// Relaxed atomics: each counter is independent and only ever summed for reporting.
/// > Note: the per-delivery counters are shared by all event loops; per-loop counters summed at
/// > scrape time (STYLE §8.15) are the planned next step once fan-out is tuned (issue 5).
package final class BrokerStats: @unchecked Sendable {
    package enum Counter: Int, CaseIterable, Sendable {
        case connectionsCurrent
        case connectionsTotal
        case connectionsRejected
        case sessionsTakenOver
        case keepAliveTimeouts
        case connectTimeouts
        case protocolErrors
        case malformedPackets
        case oversizePackets
        case messagesReceived
        case messagesSent
        case messagesDroppedQueueFull
        case messagesDroppedNotWritable
        case messagesDroppedTooLarge
        case messagesDroppedExpired
        case messagesDroppedNoSession
        case messagesDroppedRateCeiling
        case messagesDroppedClientRate
        case slowConsumersDisconnected
        case subscriptionsRejected
        case publishesRejected
        case retainedRejected
        case willsPublished
    }

    // Atomic is not copyable and needs a stable address, so the counters live in one
    // allocation owned by this object; only atomic operations touch it (hence @unchecked).
    private let counters: UnsafeMutablePointer<Atomic<Int>>

    package init() {
        counters = .allocate(capacity: Counter.allCases.count)
        for index in 0..<Counter.allCases.count {
            (counters + index).initialize(to: Atomic(0))
        }
    }

    deinit {
        counters.deinitialize(count: Counter.allCases.count)
        counters.deallocate()
    }

    @inline(__always)
    package func increment(_ counter: Counter, by amount: Int = 1) {
        counters[counter.rawValue].add(amount, ordering: .relaxed)
    }

    @inline(__always)
    package func decrement(_ counter: Counter) {
        counters[counter.rawValue].subtract(1, ordering: .relaxed)
    }

    package subscript(_ counter: Counter) -> Int {
        counters[counter.rawValue].load(ordering: .relaxed)
    }

    /// All counters at one moment, by name, for logs, tests and (later) the admin API.
    package var snapshot: [String: Int] {
        var result: [String: Int] = [:]
        for counter in Counter.allCases {
            result[String(describing: counter)] = self[counter]
        }
        return result
    }
}
