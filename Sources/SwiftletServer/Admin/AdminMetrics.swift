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
import CoreMetrics
import Prometheus
import SwiftletBroker
import Synchronization

/// The Prometheus exposition of `GET /metrics` (text format 0.0.4).
///
/// The broker keeps its own counters (``BrokerStats``, relaxed atomics summed across loop shards)
/// and never calls into swift-metrics on the publish path. A scrape reads them once and brings
/// swift-metrics gauges and counters, backed by a swift-prometheus registry, up to date: gauges
/// are set, counters advance by what changed since the previous scrape. Room counters are summed
/// over all rooms: one series per topic would grow with the number of rooms.
package final class AdminMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let connections: [String: CoreMetrics.Gauge]
    private let gauges: [Gauge: CoreMetrics.Gauge]
    private let counters: [String: CoreMetrics.Counter]
    /// What each counter showed at the previous scrape. Scrapes may run on different loops.
    private let lastValues = Mutex<[String: Int]>([:])

    private enum Gauge: String, CaseIterable {
        case sockets = "swiftlet_sockets_open"
        case sessions = "swiftlet_sessions"
        case offlineSessions = "swiftlet_sessions_offline"
        case subscriptions = "swiftlet_subscriptions"
        case retained = "swiftlet_retained_messages"
        case rooms = "swiftlet_rooms"
        case persistentSessions = "swiftlet_sessions_persistent"
        case queuedBytes = "swiftlet_queued_bytes"
    }

    /// Broker counters that are levels, not totals: exported as gauges.
    private static let levelCounters: Set<BrokerStats.Counter> = [.connectionsCurrent, .persistentSessions, .queuedBytes]

    /// The transports a connection can have (``StatusEvent/transport``).
    static let transports = ["tcp", "tls", "ws", "wss"]

    /// Room counters, summed over rooms, as counter names.
    private static let roomCounters = [
        "swiftlet_room_messages_published_total", "swiftlet_room_messages_delivered_total",
        "swiftlet_room_messages_dropped_total",
    ]

    /// ``MemoryTrimmer`` counters: `malloc_trim` calls, and the bytes of resident size they gave back.
    private static let memoryCounters = ["swiftlet_memory_trims_total", "swiftlet_memory_trim_released_bytes_total"]

    package init() {
        let factory = PrometheusMetricsFactory(registry: registry)
        var connections: [String: CoreMetrics.Gauge] = [:]
        for transport in Self.transports {
            connections[transport] = CoreMetrics.Gauge(
                label: "swiftlet_connections", dimensions: [("transport", transport)], factory: factory)
        }
        self.connections = connections
        var gauges: [Gauge: CoreMetrics.Gauge] = [:]
        for gauge in Gauge.allCases {
            gauges[gauge] = CoreMetrics.Gauge(label: gauge.rawValue, factory: factory)
        }
        self.gauges = gauges
        var counters: [String: CoreMetrics.Counter] = [:]
        for counter in BrokerStats.Counter.allCases where !Self.levelCounters.contains(counter) {
            let name = Self.metricName(counter)
            counters[name] = CoreMetrics.Counter(label: name, factory: factory)
        }
        for name in Self.roomCounters + Self.memoryCounters {
            counters[name] = CoreMetrics.Counter(label: name, factory: factory)
        }
        self.counters = counters
    }

    /// `messagesDroppedQueueFull` → `swiftlet_messages_dropped_queue_full_total`.
    static func metricName(_ counter: BrokerStats.Counter) -> String {
        var name = "swiftlet_"
        for character in String(describing: counter) {
            if character.isUppercase {
                name += "_" + character.lowercased()
            } else {
                name.append(character)
            }
        }
        return name + "_total"
    }

    /// Updates every metric from `overview`, `rooms` and `memory`, then renders the registry.
    package func render(overview: BrokerOverview, rooms: [RoomSummary], memory: MemoryTrimmer.Statistics) -> String {
        for (transport, gauge) in connections {
            gauge.record(overview.connectionsByTransport[transport] ?? 0)
        }
        let counts: [Gauge: Int] = [
            .sockets: overview.counters["connectionsCurrent"] ?? 0,
            .sessions: overview.sessions,
            .offlineSessions: overview.offlineSessions,
            .subscriptions: overview.subscriptions,
            .retained: overview.retainedMessages,
            .rooms: rooms.count,
            .persistentSessions: overview.counters["persistentSessions"] ?? 0,
            .queuedBytes: overview.counters["queuedBytes"] ?? 0,
        ]
        for (gauge, value) in counts {
            gauges[gauge]?.record(value)
        }
        var current: [String: Int] = [:]
        for counter in BrokerStats.Counter.allCases where !Self.levelCounters.contains(counter) {
            current[Self.metricName(counter)] = overview.counters[String(describing: counter)] ?? 0
        }
        var published = 0
        var delivered = 0
        var dropped = 0
        for room in rooms {
            guard let counters = room.counters else { continue }
            published += counters.messagesIn
            delivered += counters.delivered
            dropped += counters.droppedByCeiling + counters.droppedSlowConsumer
        }
        current[Self.roomCounters[0]] = published
        current[Self.roomCounters[1]] = delivered
        current[Self.roomCounters[2]] = dropped
        current[Self.memoryCounters[0]] = memory.trims
        current[Self.memoryCounters[1]] = memory.releasedBytes
        lastValues.withLock { last in
            for (name, value) in current {
                // A room forgotten past max-rooms takes its counts with it: a counter never goes
                // back, it waits until the sum passes its old value.
                let delta = value - (last[name] ?? 0)
                if delta > 0 {
                    counters[name]?.increment(by: delta)
                    last[name] = value
                }
            }
        }
        return registry.emitToString()
    }
}
