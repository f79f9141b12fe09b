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

/// Counters of the broker, readable at any time.
///
/// Relaxed atomics: each counter is independent and only ever summed for reporting. Events of the
/// delivery path are counted in a shard per event loop (``shard()``), so that loops never write
/// to the same cache line; reading a counter sums the shards (STYLE §8.15). Rare events (connects,
/// takeovers, refusals) go to the root directly.
package final class BrokerStats: @unchecked Sendable {
    package enum Counter: Int, CaseIterable, Sendable {
        case connectionsCurrent
        case connectionsTotal
        case connectionsRejected
        case authenticationFailures
        case authenticationThrottled
        case tokensExpiredInSession
        case tokensRevoked
        case tokensRevokedInSession
        case tokensRenewed
        case tokenUploadsRefused
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
        /// Messages a session could not take because it held `max-queued-bytes` already.
        case messagesDroppedQueueBytes
        /// Queued messages evicted because their loop's share of `max-queued-bytes-total` was full.
        case messagesDroppedQueueBudget
        /// Bytes queued in sessions now (a level, not a total; ``RoutedMessage/byteCost``).
        case queuedBytes
        /// Persistent sessions now, connected or not (a level).
        case persistentSessions
        /// CONNECTs refused because `max-sessions` persistent sessions exist.
        case sessionsRejected
        /// Connections closed because their output stayed above `max-outbound-bytes`.
        case writeStallDisconnects
        /// Closes after a DISCONNECT or refusing CONNACK that half-closed and waited for the client.
        case lingeringCloses
        /// Of those, the ones the client did not close within `closeLingerTimeout`.
        case lingeringClosesTimedOut
        case subscriptionsRejected
        case publishesRejected
        case retainedRejected
        case willsPublished
        case sharedMessagesRedelivered
        case sharedMessagesDroppedNoMember
    }

    // Atomic is not copyable and needs a stable address, so the counters live in one
    // allocation owned by this object; only atomic operations touch it (hence @unchecked).
    // Padded by a cache line on both sides so that two shards never share one.
    private let storage: UnsafeMutablePointer<Atomic<Int>>
    private let counters: UnsafeMutablePointer<Atomic<Int>>
    private static let padding = 8
    private let shards = Mutex<[BrokerStats]>([])

    package init() {
        let capacity = Counter.allCases.count + 2 * Self.padding
        storage = .allocate(capacity: capacity)
        for index in 0..<capacity {
            (storage + index).initialize(to: Atomic(0))
        }
        counters = storage + Self.padding
    }

    deinit {
        storage.deinitialize(count: Counter.allCases.count + 2 * Self.padding)
        storage.deallocate()
    }

    /// A new shard for one event loop, summed into this object's readings.
    package func shard() -> BrokerStats {
        let shard = BrokerStats()
        shards.withLock { $0.append(shard) }
        return shard
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
        let own = counters[counter.rawValue].load(ordering: .relaxed)
        return shards.withLock { shards in shards.reduce(own) { $0 + $1[counter] } }
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
