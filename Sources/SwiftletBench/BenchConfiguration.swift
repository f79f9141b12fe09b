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

/// Everything one `swiftlet bench` run does, decided before it starts.
package struct BenchConfiguration: Sendable {
    package enum Scenario: String, Sendable, CaseIterable {
        /// S subscribers in R rooms, P publishers: deliveries per second, loss, latency.
        case fanout
        /// N idle connections: connect rate and broker memory per connection.
        case connections
        /// Many small rooms; every member subscribes to its room and publishes to it, QoS 1.
        case chat
    }

    package enum Transport: String, Sendable, CaseIterable {
        case tcp
        case ws
        case wsDeflate = "ws+deflate"
    }

    package var scenario: Scenario
    /// A name for the broker in the summary and the CSV (`swiftlet`, `nats`, `mosquitto`, …).
    package var label: String = ""
    package var host: String = "127.0.0.1"
    package var port: Int = 1883
    package var transport: Transport = .tcp
    package var webSocketPath: String = "/mqtt"
    package var version: ProtocolVersion = .v3_1_1
    package var qos: QoS = .atMostOnce
    /// Message size in bytes, at least ``BenchPayload/headerSize``.
    package var size: Int = 64
    package var rooms: Int = 10
    /// fanout: subscriber connections; chat: members (each subscribes and publishes).
    package var subscribers: Int = 100
    /// fanout: publisher connections (publisher `i` publishes to room `i % rooms`).
    package var publishers: Int = 10
    /// connections: how many idle connections.
    package var connections: Int = 1000
    /// Messages per second published, all publishers together.
    package var rate: Double = 1000
    package var ramp: RampPlan?
    /// Seconds measured (per step with a ramp).
    package var duration: Double = 10
    /// Seconds of load before measuring (per step with a ramp).
    package var warmup: Double = 2
    /// Seconds to wait for messages still on their way after publishing stops.
    package var drainTimeout: Double = 3
    /// Client sockets bind to 127.0.0.1 … 127.0.0.N before connecting (loopback targets only).
    package var sourceAddresses: Int = 1
    /// TCP + WebSocket + MQTT handshakes in progress at once.
    package var connectConcurrency: Int = 200
    /// Event loop threads of the load generator.
    package var threads: Int = 1
    package var keepAlive: UInt16 = 60
    /// QoS 1/2 messages in flight per publisher.
    package var maximumInflight: Int = 1000
    package var brokerPID: Int32?
    package var csvPath: String?
    /// Most connections one run opens; a guard against typos (DESIGN §8: bounded in count).
    package static let maximumConnections = 19_500
    /// Longest run in seconds, ramp steps included (bounded in time).
    package static let maximumSeconds: Double = 3_600

    package init(scenario: Scenario) {
        self.scenario = scenario
        if scenario == .chat {
            self.qos = .atLeastOnce
            self.rooms = 400
            self.subscribers = 2000
            self.rate = 2000
            self.size = 128
        }
    }

    /// The client connections the scenario opens.
    package var plan: [ClientRole] {
        switch self.scenario {
        case .fanout:
            let subscribers = (0..<self.subscribers).map { ClientRole.subscriber(room: $0 % self.rooms) }
            let publishers = (0..<self.publishers).map { ClientRole.publisher(id: $0, room: $0 % self.rooms) }
            return subscribers + publishers
        case .chat:
            return (0..<self.subscribers).map { ClientRole.member(id: $0, room: $0 % self.rooms) }
        case .connections:
            return Array(repeating: .idle, count: self.connections)
        }
    }

    /// How many publishers the plan has.
    package var publisherCount: Int {
        switch self.scenario {
        case .fanout: self.publishers
        case .chat: self.subscribers
        case .connections: 0
        }
    }

    /// Subscribers per room, indexed by room.
    package var roomMembership: [Int] {
        var counts = Array(repeating: 0, count: max(1, self.rooms))
        for role in self.plan {
            if let room = role.subscribedRoom { counts[room] += 1 }
        }
        return counts
    }

    /// Checks the limits; returns what is wrong, or `nil`.
    package func validationError() -> String? {
        let planned = self.plan.count
        if planned == 0 { return "nothing to connect" }
        if planned > Self.maximumConnections {
            return "\(planned) connections is over the limit of \(Self.maximumConnections)"
        }
        if self.rooms < 1 { return "--rooms must be at least 1" }
        if self.size < BenchPayload.headerSize || self.size > 1 << 20 {
            return "--size must be \(BenchPayload.headerSize)...\(1 << 20) bytes (the header takes "
                + "\(BenchPayload.headerSize))"
        }
        if self.scenario == .fanout && (self.publishers < 1 || self.subscribers < 1) {
            return "fanout needs at least one publisher and one subscriber"
        }
        if self.duration <= 0 || self.warmup < 0 { return "--duration must be positive, --warmup not negative" }
        let steps = Double(self.ramp?.rates.count ?? 1)
        if steps * (self.duration + self.warmup + self.drainTimeout) > Self.maximumSeconds {
            return "the run would take over \(Int(Self.maximumSeconds)) s"
        }
        if self.rate < 0 || self.rate > 10_000_000 { return "--rate must be 0...10000000" }
        if !(1...254).contains(self.sourceAddresses) { return "--source-addresses must be 1...254" }
        if self.connectConcurrency < 1 { return "--connect-concurrency must be at least 1" }
        if !(1...64).contains(self.threads) { return "--threads must be 1...64" }
        return nil
    }

    /// The topic of a room; `run` keeps concurrent runs apart.
    ///
    /// Kept to 15 UTF-8 bytes for up to 10,000 rooms: Swift stores such strings inline, so the
    /// topic a subscriber decodes from every PUBLISH costs no allocation.
    package func topic(room: Int, run: String) -> String {
        "sb/\(run)/\(room)"
    }
}

/// What one client connection of a run does.
package enum ClientRole: Hashable, Sendable {
    /// Subscribes to its room.
    case subscriber(room: Int)
    /// Publishes to its room.
    case publisher(id: Int, room: Int)
    /// Subscribes to its room and publishes to it (chat).
    case member(id: Int, room: Int)
    /// Connects and stays idle.
    case idle

    package var subscribedRoom: Int? {
        switch self {
        case .subscriber(let room), .member(_, let room): room
        case .publisher, .idle: nil
        }
    }

    package var publisher: (id: Int, room: Int)? {
        switch self {
        case .publisher(let id, let room), .member(let id, let room): (id, room)
        case .subscriber, .idle: nil
        }
    }
}
