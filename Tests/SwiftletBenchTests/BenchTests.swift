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
import SwiftletBench
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Bench payload")
struct BenchPayloadTests {
    @Test("stamping and parsing round-trip, in place, at the message size")
    func roundTrip() throws {
        var template = BenchPayload.template(size: 100)
        #expect(template.readableBytes == 100)
        let payload = BenchPayload(publisherID: 7, sequence: 1 << 40, sentAtNanoseconds: 123_456_789)
        payload.stamp(into: &template)
        #expect(template.readableBytes == 100)
        #expect(BenchPayload(parsing: template) == payload)
        // Big-endian magic "SWB1" first.
        #expect(Array(template.readableBytesView.prefix(4)) == Array("SWB1".utf8))
    }

    @Test("a slice inside a larger buffer parses from its reader index")
    func slice() throws {
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF])
        var message = BenchPayload.template(size: 24)
        BenchPayload(publisherID: 1, sequence: 2, sentAtNanoseconds: 3).stamp(into: &message)
        buffer.writeBuffer(&message)
        let slice = buffer.getSlice(at: 3, length: 24)!
        #expect(BenchPayload(parsing: slice) == BenchPayload(publisherID: 1, sequence: 2, sentAtNanoseconds: 3))
    }

    @Test("short or foreign messages are not bench messages")
    func foreign() {
        #expect(BenchPayload(parsing: ByteBuffer(bytes: [1, 2, 3])) == nil)
        #expect(BenchPayload(parsing: ByteBuffer(repeating: 0, count: 64)) == nil)
    }

    @Test("the template is never smaller than the header")
    func minimum() {
        #expect(BenchPayload.template(size: 1).readableBytes == BenchPayload.headerSize)
    }
}

@Suite("Loss, duplicate and reorder accounting")
struct SequenceWindowTests {
    @Test("in order, gap, late, duplicate, too old")
    func outcomes() {
        var window = SequenceWindow()
        #expect(window.record(0) == .inOrder)
        #expect(window.record(1) == .inOrder)
        #expect(window.record(4) == .gap(skipped: 2))
        #expect(window.record(2) == .late)
        #expect(window.record(2) == .duplicate)
        #expect(window.record(4) == .duplicate)
        #expect(window.record(3) == .late)
        #expect(window.record(5) == .inOrder)
        #expect(window.record(200) == .gap(skipped: 194))
        #expect(window.record(100) == .tooOld)
        #expect(window.record(137) == .late)
        #expect(window.record(137) == .duplicate)
    }

    @Test("a first message after a start gap counts the gap")
    func firstGap() {
        var window = SequenceWindow()
        #expect(window.record(3) == .gap(skipped: 3))
        #expect(window.record(0) == .late)
    }

    @Test("unique deliveries and loss from worker counters")
    func snapshotArithmetic() {
        var total = WorkerSnapshot()
        var a = WorkerSnapshot()
        a.expected = 100
        a.received = 98
        a.duplicates = 3
        var b = WorkerSnapshot()
        b.expected = 50
        b.received = 50
        total.add(a)
        total.add(b)
        #expect(total.unique == 145)
        var result = BenchResult()
        result.expected = total.expected
        result.unique = total.unique
        #expect(result.lost == 5)
        #expect(abs(result.lossFraction - 5.0 / 150) < 1e-12)
    }
}

@Suite("Rate pacing")
struct PacingScheduleTests {
    @Test("each publisher gets rate / publishers, phases interleaved")
    func due() {
        let schedule = PacingSchedule(totalRate: 1000, publisherCount: 4)
        #expect(schedule.ratePerPublisher == 250)
        #expect(schedule.intervalNanoseconds == 4_000_000)
        // Publisher 0 sends at 0, 4, 8 ms…; publisher 1 at 1, 5, 9 ms…
        #expect(schedule.due(publisher: 0, elapsedNanoseconds: 0) == 1)
        #expect(schedule.due(publisher: 1, elapsedNanoseconds: 0) == 0)
        #expect(schedule.due(publisher: 1, elapsedNanoseconds: 1_000_000) == 1)
        #expect(schedule.due(publisher: 3, elapsedNanoseconds: 2_999_999) == 0)
        #expect(schedule.due(publisher: 0, elapsedNanoseconds: 7_999_999) == 2)
        // At exactly one second: 250 each, plus publisher 0's message due at 1000 ms.
        let total = (0..<4).map { schedule.due(publisher: $0, elapsedNanoseconds: 1_000_000_000) }.reduce(0, +)
        #expect(total == 1001)
    }

    @Test("no messages at rate 0; backlog is a quarter second, at least one")
    func edges() {
        #expect(PacingSchedule(totalRate: 0, publisherCount: 3).due(publisher: 0, elapsedNanoseconds: 1 << 40) == 0)
        #expect(PacingSchedule(totalRate: 1000, publisherCount: 1).maximumBacklog == 250)
        #expect(PacingSchedule(totalRate: 1, publisherCount: 10).maximumBacklog == 1)
    }
}

@Suite("Ramp")
struct RampPlanTests {
    @Test("steps multiply up to the maximum")
    func steps() throws {
        let plan = try #require(RampPlan(parsing: "1000:2:10000"))
        #expect(plan.rates == [1000, 2000, 4000, 8000])
        #expect(RampPlan(parsing: "1000:1:10000") == nil)
        #expect(RampPlan(parsing: "1000:2") == nil)
        #expect(try #require(RampPlan(parsing: "10:10:1e9")).rates.count == 9)
    }

    @Test("a step holds with loss < 0.1 %, p99 within the bound and the rate reached")
    func rule() {
        let plan = RampPlan(startRate: 1000, factor: 2, maximumRate: 8000)
        let good = RampPlan.StepOutcome(targetRate: 1000, achievedRate: 999, lossFraction: 0.0009, p99Microseconds: 100_000)
        #expect(plan.failure(of: good) == nil)
        var lossy = good
        lossy.lossFraction = 0.001
        #expect(plan.failure(of: lossy) != nil)
        var slow = good
        slow.p99Microseconds = 100_001
        #expect(plan.failure(of: slow) != nil)
        var behind = good
        behind.achievedRate = 900
        #expect(plan.failure(of: behind) != nil)
    }

    @Test("the answer is the last step before the first failure")
    func highest() {
        let plan = RampPlan(startRate: 1000, factor: 2, maximumRate: 8000)
        func step(_ rate: Double, loss: Double) -> RampPlan.StepOutcome {
            .init(targetRate: rate, achievedRate: rate, lossFraction: loss, p99Microseconds: 10)
        }
        #expect(plan.highestSustained([step(1000, loss: 0), step(2000, loss: 0), step(4000, loss: 0.5)])?.targetRate == 2000)
        #expect(plan.highestSustained([step(1000, loss: 0.5), step(2000, loss: 0)]) == nil)
        #expect(plan.highestSustained([step(1000, loss: 0), step(2000, loss: 0.5), step(4000, loss: 0)])?.targetRate == 1000)
    }
}

@Suite("Report")
struct BenchResultTests {
    static func sample() -> BenchResult {
        var result = BenchResult()
        result.scenario = "fanout"
        result.label = "swiftlet"
        result.transport = "ws+deflate"
        result.protocolVersion = "3.1.1"
        result.size = 64
        result.rooms = 10
        result.subscribers = 100
        result.publishers = 10
        result.connections = 110
        result.targetRate = 1000
        result.seconds = 10.0004
        result.sent = 10_000
        result.sentPerSecond = 1000
        result.expected = 100_000
        result.received = 99_990
        result.unique = 99_990
        result.deliveriesPerSecond = 9999.04
        result.p50Microseconds = 1234
        result.p99Microseconds = 5678
        result.connectedCount = 110
        result.brokerCPUMicrosecondsPerDelivery = 1.23456
        result.verdict = "failed: a, b"
        return result
    }

    @Test("the CSV row has one value per header column, quoted where needed")
    func csv() {
        let row = Self.sample().csvRow
        let header = BenchResult.csvHeader.split(separator: ",")
        #expect(header.first == "scenario")
        #expect(row.hasPrefix("fanout,swiftlet,ws+deflate,3.1.1,0,64,10,100,10,110,0,1000,10.000,10000,1000.0,0,100000,99990,10,0.0100,"))
        #expect(row.hasSuffix(",1.2346,,,\"failed: a, b\""))
        // The quoted verdict holds one comma; everything else splits cleanly.
        #expect(row.split(separator: ",", omittingEmptySubsequences: false).count == header.count + 1)
    }

    @Test("the summary is one line of key=value fields")
    func summary() {
        let line = Self.sample().summaryLine
        #expect(!line.contains("\n"))
        #expect(line.contains("scenario=fanout"))
        #expect(line.contains("expected=100000"))
        #expect(line.contains("lost=10"))
        #expect(line.contains("loss=0.010%"))
        #expect(line.contains("p99_ms=5.678"))
        #expect(line.contains("deliveries_per_s=9999"))
        #expect(line.contains("broker_cpu_us_per_delivery=1.235"))
    }
}

@Suite("Broker process sampling")
struct ProcessSampleTests {
    @Test("utime + stime from /proc/PID/stat, counting from the last parenthesis")
    func stat() {
        let stat = "4589 (swift let) S 1 4587 13175 0 -1 4194304 1482 0 0 0 108 12 0 0 20 0 6 0 928733"
        #expect(ProcessSample.cpuTicks(stat: stat) == 120)
    }

    @Test("VmRSS from /proc/PID/status, tab separated")
    func status() {
        #expect(ProcessSample.residentKiB(status: "Name:\tx\nVmRSS:\t   31908 kB\nThreads:\t6\n") == 31908)
    }

    @Test("this process can be sampled")
    func own() {
        let sample = ProcessSample.read(pid: getpid())
        #expect((sample?.residentKiB ?? 0) > 0)
    }
}
