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
import NIOPosix
import SwiftletMQTT
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Why a run could not start or go on.
package struct BenchError: Error, CustomStringConvertible, Sendable {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// Runs one `swiftlet bench` scenario: connects, subscribes, publishes at the paced rate (or
/// each ramp step), measures, drains, reports, disconnects.
///
/// The control logic runs on the calling thread and blocks it (a command-line tool has nothing
/// else to do); the connections live on the event loops, one ``BenchWorker`` per loop, and the
/// coordinator only talks to them with `submit`, once a second at most, so it costs nothing per
/// message.
package final class BenchRunner {
    private let configuration: BenchConfiguration
    /// Progress lines (stderr by default).
    private let progress: (String) -> Void
    /// Summary lines (stdout by default).
    private let summary: (String) -> Void

    private struct Worker {
        var loop: any EventLoop
        var box: NIOLoopBoundBox<BenchWorker>
    }

    package init(
        configuration: BenchConfiguration,
        progress: @escaping (String) -> Void = { line in writeStandardError(line + "\n") },
        summary: @escaping (String) -> Void = { line in print(line) }
    ) {
        self.configuration = configuration
        self.progress = progress
        self.summary = summary
    }

    /// Runs the scenario and returns one result per run or ramp step.
    package func run() throws -> [BenchResult] {
        let configuration = self.configuration
        if let problem = configuration.validationError() { throw BenchError(problem) }
        let limit = raiseOpenFileLimit()
        let planned = configuration.plan
        if UInt64(planned.count) + 64 > limit {
            throw BenchError("\(planned.count) connections need more open files than the limit of \(limit)")
        }
        let address: SocketAddress
        do {
            address = try SocketAddress.makeAddressResolvingHost(configuration.host, port: configuration.port)
        } catch {
            throw BenchError("cannot resolve \(configuration.host): \(error)")
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads)
        defer { try? group.syncShutdownGracefully() }
        // Six hex digits: short enough to keep every topic a small (inline) string.
        let runID = String(UInt32.random(in: 0x10_0000 ... 0xFF_FFFF), radix: 16)

        // Clients go round-robin over the loops.
        var loops: [any EventLoop] = []
        var iterator = group.makeIterator()
        while let loop = iterator.next() { loops.append(loop) }
        var assignments = Array(repeating: [(globalIndex: Int, role: ClientRole)](), count: loops.count)
        for (index, role) in planned.enumerated() {
            assignments[index % loops.count].append((index, role))
        }
        let workers: [Worker] = try zip(loops, assignments).map { loop, clients in
            let box = try loop.submit {
                NIOLoopBoundBox(
                    BenchWorker(
                        eventLoop: loop, configuration: configuration, runID: runID, address: address,
                        clients: clients),
                    eventLoop: loop)
            }.wait()
            return Worker(loop: loop, box: box)
        }

        let rssBefore = configuration.brokerPID.flatMap { ProcessSample.read(pid: $0) }?.residentKiB

        // Connect.
        let connectStart = NIODeadline.now()
        let perWorker = max(1, configuration.connectConcurrency / workers.count)
        try self.await(
            workers.map { worker in worker.loop.flatSubmit { worker.box.value.connectAll(concurrency: perWorker) } },
            label: "connect", workers: workers, timeout: nil)
        let connectSeconds = Self.seconds(since: connectStart)
        var totals = try self.collect(workers, latency: false)
        let connectRate = Double(totals.connected) / max(connectSeconds, 1e-6)
        self.progress(
            "[\(configuration.scenario.rawValue)] connected \(totals.connected)/\(planned.count) in "
                + "\(BenchResult.format(connectSeconds, decimals: 2)) s (\(BenchResult.format(connectRate))/s)"
                + (totals.failedConnections > 0
                    ? ", \(totals.failedConnections) failed: \(totals.firstError ?? "?")" : ""))
        if totals.connected == 0 {
            throw BenchError("no connection succeeded: \(totals.firstError ?? "unknown error")")
        }

        var base = BenchResult()
        base.scenario = configuration.scenario.rawValue
        base.label = configuration.label
        base.transport = configuration.transport.rawValue
        base.protocolVersion = configuration.version.description
        base.qos = Int(configuration.qos.rawValue)
        base.size = configuration.size
        base.rooms = configuration.rooms
        base.subscribers = configuration.scenario == .connections ? 0 : configuration.subscribers
        base.publishers = configuration.publisherCount
        base.connections = planned.count
        base.connectedCount = totals.connected
        base.failedConnections = totals.failedConnections
        base.connectsPerSecond = connectRate
        base.deflateAccepted = totals.deflateAccepted

        var results: [BenchResult] = []
        defer { self.disconnect(workers) }

        if configuration.scenario == .connections {
            results.append(try self.holdIdle(workers, base: base, rssBefore: rssBefore))
            return results
        }

        // Subscribe, and wait for every SUBACK.
        try self.await(
            workers.map { worker in worker.loop.flatSubmit { worker.box.value.subscribeAll() } },
            label: "subscribe", workers: workers, timeout: 60)
        totals = try self.collect(workers, latency: false)
        if totals.subscribeFailures > 0 {
            throw BenchError("\(totals.subscribeFailures) subscriptions were refused")
        }

        let rates = configuration.ramp?.rates ?? [configuration.rate]
        var outcomes: [RampPlan.StepOutcome] = []
        for (stepIndex, rate) in rates.enumerated() {
            var result = try self.runPhase(workers, rate: rate, base: base)
            if let ramp = configuration.ramp {
                result.step = stepIndex + 1
                let outcome = RampPlan.StepOutcome(
                    targetRate: rate, achievedRate: result.sentPerSecond, lossFraction: result.lossFraction,
                    p99Microseconds: result.p99Microseconds)
                outcomes.append(outcome)
                result.verdict = ramp.failure(of: outcome).map { "failed: \($0)" } ?? "held"
            }
            results.append(result)
            self.summary(result.summaryLine)
            self.appendCSV(result)
            if configuration.ramp?.failure(of: outcomes.last!) != nil { break }
        }
        if let ramp = configuration.ramp {
            let best = ramp.highestSustained(outcomes)
            self.summary(
                "ramp: highest sustained rate \(best.map { BenchResult.format($0.targetRate) + "/s" } ?? "none") "
                    + "(loss < \(ramp.maximumLossFraction * 100)%, p99 ≤ \(ramp.maximumP99Microseconds / 1000) ms)")
        }
        return results
    }

    // MARK: - Phases

    private func runPhase(_ workers: [Worker], rate: Double, base: BenchResult) throws -> BenchResult {
        let configuration = self.configuration
        let publisherCount = configuration.publisherCount
        let phaseStart = NIODeadline.now()
        try self.onEach(workers) { $0.startPhase(rate: rate, publisherCount: publisherCount) }
        self.sleep(seconds: configuration.warmup, label: "warmup", workers: workers)

        try self.onEach(workers) { $0.beginWindow() }
        let brokerBefore = configuration.brokerPID.flatMap { ProcessSample.read(pid: $0) }
        let windowStart = NIODeadline.now()
        self.sleep(seconds: configuration.duration, label: "\(BenchResult.format(rate))/s", workers: workers)
        try self.onEach(workers) { $0.endWindow() }
        let windowSeconds = Self.seconds(since: windowStart)
        let brokerAfter = configuration.brokerPID.flatMap { ProcessSample.read(pid: $0) }

        try self.onEach(workers) { $0.stopPhase() }
        let publishSeconds = Self.seconds(since: phaseStart)
        try self.drain(workers)
        let totals = try self.collect(workers, latency: true)

        var result = base
        result.targetRate = rate
        result.seconds = windowSeconds
        result.sent = totals.sent
        result.sentPerSecond = Double(totals.sent) / max(publishSeconds, 1e-6)
        result.skippedSends = totals.skippedSends
        result.expected = totals.expected
        result.received = totals.received
        result.unique = totals.unique
        result.duplicates = totals.duplicates
        result.reordered = totals.late + totals.tooOld
        result.deliveriesPerSecond = Double(totals.windowDeliveries) / max(windowSeconds, 1e-6)
        result.droppedConnections = totals.droppedConnections
        if let latency = totals.latency, latency.totalCount > 0 {
            result.p50Microseconds = latency.valueAtPercentile(50)
            result.p99Microseconds = latency.valueAtPercentile(99)
            result.p999Microseconds = latency.valueAtPercentile(99.9)
            result.maxMicroseconds = latency.max
        }
        if let brokerBefore, let brokerAfter, totals.windowDeliveries > 0 {
            result.brokerCPUMicrosecondsPerDelivery =
                Double(brokerAfter.cpuMicroseconds - min(brokerAfter.cpuMicroseconds, brokerBefore.cpuMicroseconds))
                / Double(totals.windowDeliveries)
            result.brokerRSSKiB = brokerAfter.residentKiB
        }
        return result
    }

    /// Waits until every expected delivery arrived, nothing arrived for half a second, or the
    /// drain timeout passed.
    private func drain(_ workers: [Worker]) throws {
        let deadline = NIODeadline.now() + .milliseconds(Int64(self.configuration.drainTimeout * 1000))
        var last = try self.collect(workers, latency: false)
        var quietSince = NIODeadline.now()
        while NIODeadline.now() < deadline && last.unique < last.expected {
            usleep(50_000)
            let now = try self.collect(workers, latency: false)
            if now.received != last.received {
                quietSince = NIODeadline.now()
            } else if NIODeadline.now() - quietSince > .milliseconds(500) {
                break
            }
            last = now
        }
    }

    private func holdIdle(_ workers: [Worker], base: BenchResult, rssBefore: UInt64?) throws -> BenchResult {
        var result = base
        // Let the broker settle: two readings 0.5 s apart within 64 KiB, at most 5 s.
        var rssAfter: UInt64?
        if let pid = self.configuration.brokerPID {
            var previous = ProcessSample.read(pid: pid)?.residentKiB
            for _ in 0..<10 {
                usleep(500_000)
                let current = ProcessSample.read(pid: pid)?.residentKiB
                if let current, let before = previous, (current > before ? current - before : before - current) < 64 {
                    previous = current
                    break
                }
                previous = current
            }
            rssAfter = previous
        }
        self.sleep(seconds: self.configuration.duration, label: "idle", workers: workers)
        let totals = try self.collect(workers, latency: false)
        result.seconds = self.configuration.duration
        result.droppedConnections = totals.droppedConnections
        if let rssAfter {
            result.brokerRSSKiB = rssAfter
            if let rssBefore, totals.connected > 0 {
                result.rssPerConnectionKiB = (Double(rssAfter) - Double(rssBefore)) / Double(totals.connected)
            }
        }
        self.summary(result.summaryLine)
        self.appendCSV(result)
        return result
    }

    private func disconnect(_ workers: [Worker]) {
        let futures = workers.map { worker in worker.loop.flatSubmit { worker.box.value.disconnectAll() } }
        try? self.await(futures, label: "disconnect", workers: workers, timeout: 10, quiet: true)
    }

    // MARK: - Talking to the workers

    private func onEach(_ workers: [Worker], _ body: @escaping @Sendable (BenchWorker) -> Void) throws {
        let futures = workers.map { worker in worker.loop.submit { body(worker.box.value) } }
        for future in futures { try future.wait() }
    }

    private func collect(_ workers: [Worker], latency: Bool) throws -> WorkerSnapshot {
        var total = WorkerSnapshot()
        let futures = workers.map { worker in worker.loop.submit { worker.box.value.report(latency: latency) } }
        for future in futures { total.add(try future.wait()) }
        return total
    }

    private func p99(_ workers: [Worker]) -> UInt64 {
        let futures = workers.map { worker in worker.loop.submit { worker.box.value.currentP99 } }
        return futures.compactMap { try? $0.wait() }.max() ?? 0
    }

    /// Waits for `futures`, printing progress every second, failing after `timeout` seconds.
    private func await(
        _ futures: [EventLoopFuture<Void>], label: String, workers: [Worker], timeout: Double?, quiet: Bool = false
    ) throws {
        let start = NIODeadline.now()
        var nextProgress = start + .seconds(1)
        let outcomes = futures.map { future in
            let outcome = Outcome()
            future.whenComplete { result in outcome.value.withLock { $0 = result } }
            return outcome
        }
        for outcome in outcomes {
            while true {
                if let timeout, Self.seconds(since: start) > timeout {
                    throw BenchError("\(label) did not finish within \(Int(timeout)) s")
                }
                if let result = outcome.value.withLock({ $0 }) {
                    try result.get()
                    break
                }
                usleep(20_000)
                if !quiet, NIODeadline.now() >= nextProgress {
                    nextProgress = nextProgress + .seconds(1)
                    let totals = try self.collect(workers, latency: false)
                    self.progress(
                        "[\(self.configuration.scenario.rawValue) \(label) \(Int(Self.seconds(since: start)))s] "
                            + "connected \(totals.connected)/\(self.configuration.plan.count)"
                            + (totals.failedConnections > 0 ? " failed \(totals.failedConnections)" : ""))
                }
            }
        }
    }

    /// Where a future's result lands for the polling thread.
    private final class Outcome: Sendable {
        let value = Mutex<Result<Void, any Error>?>(nil)
    }

    /// Sleeps `seconds`, printing a progress line every second.
    private func sleep(seconds: Double, label: String, workers: [Worker]) {
        let start = NIODeadline.now()
        let end = start + .nanoseconds(Int64(seconds * 1e9))
        var previous = (try? self.collect(workers, latency: false)) ?? WorkerSnapshot()
        var previousTime = start
        while NIODeadline.now() < end {
            let remaining = end - NIODeadline.now()
            usleep(UInt32(max(0, min(remaining.nanoseconds / 1000, 1_000_000))))
            guard let now = try? self.collect(workers, latency: false) else { continue }
            let time = NIODeadline.now()
            let interval = max(Double((time - previousTime).nanoseconds) / 1e9, 1e-6)
            let elapsed = BenchResult.format(Self.seconds(since: start))
            let sentRate = Double(now.sent - min(now.sent, previous.sent)) / interval
            let receivedRate = Double(now.received - min(now.received, previous.received)) / interval
            let lost = now.expected > now.unique ? now.expected - now.unique : 0
            self.progress(
                "[\(self.configuration.scenario.rawValue) \(label) \(elapsed)s] "
                    + "sent \(BenchResult.format(sentRate))/s recv \(BenchResult.format(receivedRate))/s "
                    + "p99 \(BenchResult.milliseconds(self.p99(workers))) ms "
                    + "in-flight/lost \(lost) dups \(now.duplicates) "
                    + "conns \(now.connected - now.droppedConnections)/\(self.configuration.plan.count)")
            previous = now
            previousTime = time
        }
    }

    private func appendCSV(_ result: BenchResult) {
        guard let path = self.configuration.csvPath else { return }
        guard let file = fopen(path, "a") else {
            self.progress("cannot open \(path) for appending")
            return
        }
        defer { fclose(file) }
        // A header only at the start of a new (or empty) file.
        fseek(file, 0, SEEK_END)
        if ftell(file) == 0 { fputs(BenchResult.csvHeader + "\n", file) }
        fputs(result.csvRow + "\n", file)
    }

    private static func seconds(since start: NIODeadline) -> Double {
        Double((NIODeadline.now() - start).nanoseconds) / 1e9
    }
}

/// Writes to file descriptor 2 directly (the C `stderr` global is not concurrency-safe in Swift 6).
private func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
        guard written > 0 else { return }
        offset += written
    }
}
