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
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore
import NIOPosix
import SwiftletBroker
import SwiftletMQTT
import Synchronization

/// `swiftlet bench routing`: the broker's router in process, no sockets (issue 12).
///
/// One `Broker` on `loops` event loop threads; `rooms` rooms of `members` sessions each, attached
/// to connections that only count what they are given; one publisher session per loop. Every
/// loop's publisher routes its share of `messages` QoS 0 messages, round-robin over the rooms, as
/// fast as it can, all loops at once; the run ends when every delivery was made. What it measures
/// is what a publish costs the broker between the decoder and the socket: the index lookup, the
/// grouping by loop, the tasks handed to the subscribers' loops, and the delivery calls (the
/// connection does not encode or write). With a lock around the lookup, loops wait for each other;
/// without one, routes per second grow with the loops.
package struct RoutingBenchmark: Sendable {
    package enum Placement: String, Sendable, CaseIterable {
        /// Each room's members on the loop of the publisher that publishes into it: the lookup
        /// and the delivery stay on one loop.
        case local
        /// Each room's members spread over every loop: each publish also hands tasks to the
        /// other loops, as rooms in a real broker do.
        case spread
    }

    package var loops: Int
    package var rooms: Int
    package var members: Int
    package var messages: Int
    package var placement: Placement
    /// Match every publish under the router's lock, as before issue 12, for comparison.
    package var locked = false

    package init(loops: Int, rooms: Int, members: Int, messages: Int, placement: Placement, locked: Bool = false) {
        self.loops = loops
        self.rooms = rooms
        self.members = members
        self.messages = messages
        self.placement = placement
        self.locked = locked
    }

    package struct Result: Sendable {
        package var seconds: Double
        package var routes: Int
        package var deliveries: Int
        /// CPU time of the whole process over the run (every loop), in seconds; 0 where /proc is missing.
        package var cpuSeconds: Double
        package var routesPerSecond: Double { Double(routes) / seconds }
        package var deliveriesPerSecond: Double { Double(deliveries) / seconds }

        /// One line of `key=value` fields, as the other scenarios print; `ratio` is the routes per
        /// second relative to the first run of the comparison.
        package func summaryLine(of benchmark: RoutingBenchmark, relativeTo ratio: Double) -> String {
            "scenario=routing loops=\(benchmark.loops) placement=\(benchmark.placement.rawValue)"
                + " index=\(benchmark.locked ? "locked" : "per-loop")"
                + " rooms=\(benchmark.rooms) members=\(benchmark.members) routes=\(routes) deliveries=\(deliveries)"
                + " seconds=\(BenchResult.format(seconds, decimals: 3))"
                + " routes_per_s=\(BenchResult.format(routesPerSecond))"
                + " deliveries_per_s=\(BenchResult.format(deliveriesPerSecond))"
                + " cpu_us_per_route=\(BenchResult.format(cpuSeconds * 1e6 / Double(max(1, routes)), decimals: 3))"
                + " vs_first=\(BenchResult.format(ratio, decimals: 2))"
        }
    }

    package func run() throws -> Result {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
        defer { try? group.syncShutdownGracefully() }
        let eventLoops = Array(group.makeIterator())
        var logger = Logger(label: "bench.routing")
        logger.logLevel = .critical
        var configuration = BrokerConfiguration()
        configuration.eventLoopCount = loops
        let broker = Broker(configuration: configuration, logger: logger, matchUnderLock: locked)

        // Room r's publisher is the one of loop r % loops; its members are on that loop (local)
        // or on every loop in turn (spread).
        var connections: [CountingConnection] = []
        for room in 0..<rooms {
            for member in 0..<members {
                let loop =
                    placement == .local ? eventLoops[room % loops] : eventLoops[(room + member) % loops]
                let connection = CountingConnection()
                connections.append(connection)
                try broker.openSession(
                    clientID: "member-\(room)-\(member)", cleanStart: true, on: loop
                ).flatMapThrowing { opened -> Void in
                    opened.session.attach(connection, expiryInterval: 0, will: nil, willDelay: 0)
                    opened.session.recordSubscription(Self.topic(room), options: SubscriptionOptions(qos: .atMostOnce))
                    broker.subscribe(opened.session, filter: Self.topic(room), options: SubscriptionOptions(qos: .atMostOnce))
                }.wait()
            }
        }
        let publishers = try eventLoops.enumerated().map { position, loop in
            try broker.openSession(clientID: "publisher-\(position)", cleanStart: true, on: loop).map(\.session).wait()
        }
        // Every loop's copy of the index caught up before the clock starts.
        try EventLoopFuture.andAllSucceed(eventLoops.map { $0.submit {} }, on: eventLoops[0]).wait()

        let payload = ByteBuffer(repeating: 0x61, count: 64)
        let topics = (0..<rooms).map(Self.topic)
        let cpuBefore = ProcessSample.read(pid: getpid())
        let start = NIODeadline.now()
        let share = messages / loops
        let routed = eventLoops.enumerated().map { position, loop in
            let driver = PublisherDriver(
                broker: broker, publisher: publishers[position], topics: topics, first: position, step: loops,
                payload: payload, total: share, promise: loop.makePromise())
            loop.execute { driver.next() }
            return driver.promise.futureResult
        }
        let routes = try EventLoopFuture.reduce(0, routed, on: eventLoops[0], +).wait()
        // Every delivery task was queued before the publishers finished: one more task per loop
        // runs after the last of them.
        try EventLoopFuture.andAllSucceed(eventLoops.map { $0.submit {} }, on: eventLoops[0]).wait()
        let seconds = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        let cpuAfter = ProcessSample.read(pid: getpid())
        let cpuSeconds = Double((cpuAfter?.cpuMicroseconds ?? 0) - (cpuBefore?.cpuMicroseconds ?? 0)) / 1e6
        // The loops are idle and the futures above ordered every count's last write before this.
        let deliveries = connections.reduce(0) { $0 + $1.published }
        return Result(seconds: seconds, routes: routes, deliveries: deliveries, cpuSeconds: cpuSeconds)
    }

    private static func topic(_ room: Int) -> String { "bench/routing/room-\(room)" }
}

/// A connection that counts the PUBLISH packets it is given and writes nothing. Touched on its
/// session's loop only.
private final class CountingConnection: ClientConnection, @unchecked Sendable {
    private(set) var published = 0

    var protocolVersion: ProtocolVersion { .v3_1_1 }
    var isWritable: Bool { true }
    var sendWindow: Int { 65_535 }
    var acceptsSharedPublishes: Bool { true }
    var maximumPacketSize: Int { .max }
    var connectInfo: StatusEvent? { nil }
    var acceptedTransport: String? { nil }

    func writePublish(
        _ message: RoutedMessage, qos: QoS, retain: Bool, subscriptionIdentifiers: [UInt32], packetID: UInt16?,
        dup: Bool, now: NIODeadline, cache: inout PublishEncodingCache
    ) -> Bool {
        published += 1
        return true
    }

    func writeShared(_ bytes: ByteBuffer) { published += 1 }
    func writePacket(_ packet: MQTTPacket) {}
    func flushIfNeeded() {}
    func sessionTakenOver() {}
    func disconnect(reason: ReasonCode, reasonString: String?) {}
    func tokenRevoked(_ key: RevokedTokenKey) {}
}

/// Routes one loop's share of the messages in slices of ``slice``, each slice a task of its own,
/// so that the delivery tasks queued meanwhile run between slices as they would between reads.
private final class PublisherDriver: @unchecked Sendable {
    static let slice = 256
    let broker: Broker
    let publisher: SessionHandle
    let topics: [String]
    let step: Int
    let payload: ByteBuffer
    let total: Int
    let promise: EventLoopPromise<Int>
    private var room: Int
    private let first: Int
    private var routed = 0

    init(
        broker: Broker, publisher: SessionHandle, topics: [String], first: Int, step: Int, payload: ByteBuffer,
        total: Int, promise: EventLoopPromise<Int>
    ) {
        self.broker = broker
        self.publisher = publisher
        self.topics = topics
        self.first = first
        self.room = first
        self.step = step
        self.payload = payload
        self.total = total
        self.promise = promise
    }

    func next() {
        let loop = publisher.eventLoop
        let end = min(total, routed + Self.slice)
        while routed < end {
            let message = RoutedMessage(
                topic: topics[room], payload: payload, qos: .atMostOnce, retain: false,
                publisherClientID: publisher.clientID)
            broker.route(message, from: publisher, now: loop.now)
            routed += 1
            room += step
            if room >= topics.count { room = first }
        }
        if routed < total {
            loop.execute { self.next() }
        } else {
            promise.succeed(routed)
        }
    }
}
