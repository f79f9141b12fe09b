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
import Histogram
import NIOCore
import SwiftletClient
import SwiftletMQTT

/// What a worker reports to the coordinator: plain numbers, summed over workers.
package struct WorkerSnapshot: Sendable {
    package var connected = 0
    package var failedConnections = 0
    /// Connections that closed while the run still needed them.
    package var droppedConnections = 0
    package var firstError: String?
    package var deflateAccepted = 0
    package var subscribeFailures = 0
    /// This phase: messages published, sends skipped because a publisher fell behind, and the
    /// deliveries they should cause (each message times the subscribers of its room).
    package var sent: UInt64 = 0
    package var skippedSends: UInt64 = 0
    package var expected: UInt64 = 0
    /// This phase: every delivery, and those that were duplicates, late (reordered) or too old to
    /// classify (``SequenceWindow``).
    package var received: UInt64 = 0
    package var duplicates: UInt64 = 0
    package var late: UInt64 = 0
    package var tooOld: UInt64 = 0
    /// Deliveries received inside the measured window, and their latency in microseconds.
    package var windowDeliveries: UInt64 = 0
    package var latency: Histogram<UInt64>?

    package init() {}

    /// Adds another worker's numbers.
    package mutating func add(_ other: WorkerSnapshot) {
        self.connected += other.connected
        self.failedConnections += other.failedConnections
        self.droppedConnections += other.droppedConnections
        self.firstError = self.firstError ?? other.firstError
        self.deflateAccepted += other.deflateAccepted
        self.subscribeFailures += other.subscribeFailures
        self.sent += other.sent
        self.skippedSends += other.skippedSends
        self.expected += other.expected
        self.received += other.received
        self.duplicates += other.duplicates
        self.late += other.late
        self.tooOld += other.tooOld
        self.windowDeliveries += other.windowDeliveries
        if let histogram = other.latency {
            if self.latency == nil { self.latency = histogram } else { self.latency!.add(histogram) }
        }
    }

    /// Deliveries that were not duplicates.
    package var unique: UInt64 { self.received - min(self.received, self.duplicates) }
}

/// The latency histogram: microseconds from 1 µs to 60 s, three significant digits.
package func makeLatencyHistogram() -> Histogram<UInt64> {
    Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
}

/// The client connections of one event loop and their counters (STYLE §8.4: confined to the
/// loop, no locks). The coordinator drives it through ``NIOLoopBoundBox`` with `submit`.
final class BenchWorker: MQTTClientDelegate {
    private enum ConnectionState {
        case waiting, connecting, connected, failed, closed
    }

    private struct Client {
        var globalIndex: Int
        var role: ClientRole
        var state: ConnectionState = .waiting
        var connection: MQTTClientConnection?
        var topic: String?
        /// Publishers: messages sent, and schedule slots used (sent + skipped).
        var sequence: UInt64 = 0
        var scheduled: UInt64 = 0
        /// Subscribers: one window per publisher heard from.
        var windows: [UInt32: SequenceWindow] = [:]
    }

    private let eventLoop: any EventLoop
    private let configuration: BenchConfiguration
    private let runID: String
    private let address: SocketAddress
    private let membership: [Int]
    private let resources = MQTTClientLoopResources()
    private var clients: [Client]
    private var publisherIndices: [Int] = []

    private var snapshot = WorkerSnapshot()
    private var latency = makeLatencyHistogram()
    private var measuring = false
    private var running = true

    // Connect phase.
    private var nextToConnect = 0
    private var connecting = 0
    private var concurrency = 1
    private var connectPromise: EventLoopPromise<Void>?
    // Subscribe phase.
    private var pendingSubscriptions = 0
    private var subscribePromise: EventLoopPromise<Void>?
    // Publishing.
    private var schedule = PacingSchedule(totalRate: 0, publisherCount: 1)
    private var phaseStart: UInt64 = 0
    private var tickTask: Scheduled<Void>?
    /// Bumped when a phase starts or stops: a tick of an older phase does nothing.
    private var phaseGeneration = 0
    private var template: ByteBuffer
    // Closing.
    private var openConnections = 0
    private var closePromise: EventLoopPromise<Void>?

    /// The load generator's pacing tick: every publisher is checked this often.
    static let tick = TimeAmount.milliseconds(1)

    init(
        eventLoop: any EventLoop,
        configuration: BenchConfiguration,
        runID: String,
        address: SocketAddress,
        clients: [(globalIndex: Int, role: ClientRole)]
    ) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.runID = runID
        self.address = address
        self.membership = configuration.roomMembership
        self.template = BenchPayload.template(size: configuration.size)
        self.clients = clients.map { Client(globalIndex: $0.globalIndex, role: $0.role) }
        for index in self.clients.indices {
            let role = self.clients[index].role
            if let publisher = role.publisher {
                self.clients[index].topic = configuration.topic(room: publisher.room, run: runID)
                self.publisherIndices.append(index)
            } else if let room = role.subscribedRoom {
                self.clients[index].topic = configuration.topic(room: room, run: runID)
            }
        }
    }

    // MARK: - Connecting

    /// Connects every client, at most `concurrency` handshakes at a time; succeeds when each has
    /// connected or failed.
    func connectAll(concurrency: Int) -> EventLoopFuture<Void> {
        let promise = self.eventLoop.makePromise(of: Void.self)
        self.concurrency = max(1, concurrency)
        self.connectPromise = promise
        self.connectMore()
        return promise.futureResult
    }

    private func connectMore() {
        while self.connecting < self.concurrency && self.nextToConnect < self.clients.count {
            let index = self.nextToConnect
            self.nextToConnect += 1
            self.connecting += 1
            self.clients[index].state = .connecting
            self.startConnection(index)
        }
        if self.connecting == 0 && self.nextToConnect == self.clients.count, let promise = self.connectPromise {
            self.connectPromise = nil
            promise.succeed(())
        }
    }

    private func startConnection(_ index: Int) {
        let global = self.clients[index].globalIndex
        let transport: MQTTClientConfiguration.Transport
        switch self.configuration.transport {
        case .tcp: transport = .tcp
        case .ws: transport = .webSocket(host: self.hostHeader, path: self.configuration.webSocketPath, deflate: false)
        case .wsDeflate:
            transport = .webSocket(host: self.hostHeader, path: self.configuration.webSocketPath, deflate: true)
        }
        let configuration = MQTTClientConfiguration(
            // NATS needs a client identifier; every run uses fresh ones.
            clientID: "sb-\(self.runID)-\(global)",
            version: self.configuration.version,
            transport: transport,
            keepAlive: self.configuration.keepAlive,
            maximumInflight: self.configuration.maximumInflight,
            maximumPacketSize: max(1 << 20, self.configuration.size + 1024),
            connectTimeout: .seconds(20)
        )
        MQTTClientConnection.connect(
            to: self.address,
            bindingTo: self.sourceAddress(for: global),
            configuration: configuration,
            resources: self.resources,
            delegate: self,
            tag: index,
            on: self.eventLoop
        )
    }

    private var hostHeader: String {
        "\(self.configuration.host):\(self.configuration.port)"
    }

    /// 127.0.0.(1 + i mod N) for a loopback target with N > 1 source addresses.
    private func sourceAddress(for global: Int) -> SocketAddress? {
        guard self.configuration.sourceAddresses > 1, self.configuration.host.hasPrefix("127.") else { return nil }
        return try? SocketAddress(ipAddress: "127.0.0.\(1 + global % self.configuration.sourceAddresses)", port: 0)
    }

    private func connectFinished(_ index: Int, connected: Bool, error: (any Error)?) {
        self.connecting -= 1
        if connected {
            self.snapshot.connected += 1
            self.openConnections += 1
        } else {
            self.snapshot.failedConnections += 1
            if self.snapshot.firstError == nil, let error { self.snapshot.firstError = "\(error)" }
        }
        self.connectMore()
    }

    func clientConnected(_ client: MQTTClientConnection, connack: ConnAckPacket) {
        let index = client.tag
        self.clients[index].connection = client
        self.clients[index].state = .connected
        if client.webSocketDeflate != nil { self.snapshot.deflateAccepted += 1 }
        self.connectFinished(index, connected: true, error: nil)
    }

    func clientFailedToConnect(tag: Int, error: any Error) {
        self.clients[tag].state = .failed
        self.connectFinished(tag, connected: false, error: error)
    }

    func clientClosed(_ client: MQTTClientConnection, error: (any Error)?) {
        let index = client.tag
        let previous = self.clients[index].state
        self.clients[index].state = .closed
        self.clients[index].connection = nil
        switch previous {
        case .connecting:
            self.clients[index].state = .failed
            self.connectFinished(index, connected: false, error: error)
        case .connected:
            self.openConnections -= 1
            if self.running {
                self.snapshot.droppedConnections += 1
                if self.snapshot.firstError == nil { self.snapshot.firstError = "\(error.map { "\($0)" } ?? "closed")" }
            }
            if self.openConnections == 0, let promise = self.closePromise {
                self.closePromise = nil
                promise.succeed(())
            }
        case .waiting, .failed, .closed:
            break
        }
    }

    // MARK: - Subscribing

    /// Subscribes every connected subscriber to its room; succeeds when every SUBACK is in.
    func subscribeAll() -> EventLoopFuture<Void> {
        let promise = self.eventLoop.makePromise(of: Void.self)
        for client in self.clients where client.role.subscribedRoom != nil {
            guard let connection = client.connection, let topic = client.topic else { continue }
            if connection.subscribe([(topic, self.configuration.qos)]) != nil {
                self.pendingSubscriptions += 1
            }
        }
        if self.pendingSubscriptions == 0 {
            promise.succeed(())
        } else {
            self.subscribePromise = promise
        }
        return promise.futureResult
    }

    func client(_ client: MQTTClientConnection, subscribed suback: SubAckPacket) {
        if suback.reasonCodes.contains(where: \.isFailure) { self.snapshot.subscribeFailures += 1 }
        self.pendingSubscriptions -= 1
        if self.pendingSubscriptions == 0, let promise = self.subscribePromise {
            self.subscribePromise = nil
            promise.succeed(())
        }
    }

    // MARK: - Publishing

    /// Starts a phase at `rate` messages per second for all `publisherCount` publishers of the
    /// run together; resets the phase counters.
    func startPhase(rate: Double, publisherCount: Int) {
        self.stopPhase()
        self.resetCounters()
        self.schedule = PacingSchedule(totalRate: rate, publisherCount: publisherCount)
        self.phaseStart = NIODeadline.now().uptimeNanoseconds
        for index in self.publisherIndices {
            self.clients[index].scheduled = 0
        }
        guard rate > 0, !self.publisherIndices.isEmpty else { return }
        self.scheduleTick(at: NIODeadline.now())
    }

    /// Stops publishing; messages on their way still count.
    func stopPhase() {
        self.phaseGeneration += 1
        self.tickTask?.cancel()
        self.tickTask = nil
    }

    private func scheduleTick(at deadline: NIODeadline) {
        let generation = self.phaseGeneration
        self.tickTask = self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            guard let self, self.phaseGeneration == generation else { return }
            self.publishDue()
            // Deadlines on a fixed grid: a late tick does not shift the ones after it.
            let next = max(deadline + Self.tick, NIODeadline.now())
            self.scheduleTick(at: next)
        }
    }

    private func publishDue() {
        let now = NIODeadline.now().uptimeNanoseconds
        let elapsed = now - self.phaseStart
        let qos = self.configuration.qos
        let backlog = self.schedule.maximumBacklog
        for index in self.publisherIndices {
            guard let publisher = self.clients[index].role.publisher, let connection = self.clients[index].connection,
                let topic = self.clients[index].topic
            else { continue }
            let due = self.schedule.due(publisher: publisher.id, elapsedNanoseconds: elapsed)
            var scheduled = self.clients[index].scheduled
            if due > scheduled + backlog {
                self.snapshot.skippedSends += due - scheduled - backlog
                scheduled = due - backlog
            }
            var sequence = self.clients[index].sequence
            var wrote = false
            while scheduled < due {
                BenchPayload(publisherID: UInt32(publisher.id), sequence: sequence, sentAtNanoseconds: now)
                    .stamp(into: &self.template)
                guard case .send = connection.publish(topic: topic, payload: self.template, qos: qos, flush: false)
                else { break }
                wrote = true
                sequence += 1
                scheduled += 1
                self.snapshot.sent += 1
                self.snapshot.expected += UInt64(self.membership[publisher.room])
            }
            self.clients[index].scheduled = scheduled
            self.clients[index].sequence = sequence
            if wrote { connection.flush() }
        }
    }

    // MARK: - Receiving

    func client(_ client: MQTTClientConnection, received publish: PublishPacket) {
        guard let payload = BenchPayload(parsing: publish.payload) else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        self.snapshot.received += 1
        let outcome = self.clients[client.tag].windows[payload.publisherID, default: SequenceWindow()]
            .record(payload.sequence)
        switch outcome {
        case .inOrder, .gap:
            break
        case .late:
            self.snapshot.late += 1
        case .duplicate:
            self.snapshot.duplicates += 1
        case .tooOld:
            self.snapshot.tooOld += 1
        }
        if self.measuring {
            self.snapshot.windowDeliveries += 1
            let micros = now > payload.sentAtNanoseconds ? (now - payload.sentAtNanoseconds) / 1000 : 0
            _ = self.latency.record(min(max(micros, 1), self.latency.highestTrackableValue))
        }
    }

    // MARK: - Measuring

    private func resetCounters() {
        self.snapshot.sent = 0
        self.snapshot.skippedSends = 0
        self.snapshot.expected = 0
        self.snapshot.received = 0
        self.snapshot.duplicates = 0
        self.snapshot.late = 0
        self.snapshot.tooOld = 0
        self.snapshot.windowDeliveries = 0
        self.latency.reset()
    }

    func beginWindow() {
        self.snapshot.windowDeliveries = 0
        self.latency.reset()
        self.measuring = true
    }

    func endWindow() {
        self.measuring = false
    }

    /// The counters; with `latency`, a copy of the histogram too (a few hundred KiB).
    func report(latency: Bool) -> WorkerSnapshot {
        var snapshot = self.snapshot
        if latency { snapshot.latency = self.latency }
        return snapshot
    }

    /// p99 of the current window, for the progress line, in microseconds.
    var currentP99: UInt64 {
        self.latency.totalCount > 0 ? self.latency.valueAtPercentile(99) : 0
    }

    // MARK: - Closing

    /// DISCONNECT on every connection; succeeds when all are closed.
    func disconnectAll() -> EventLoopFuture<Void> {
        self.running = false
        self.stopPhase()
        let promise = self.eventLoop.makePromise(of: Void.self)
        guard self.openConnections > 0 else {
            promise.succeed(())
            return promise.futureResult
        }
        self.closePromise = promise
        for client in self.clients {
            client.connection?.disconnect()
        }
        return promise.futureResult
    }
}

@available(*, unavailable)
extension BenchWorker: Sendable {}
