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
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import SwiftletBroker
import Testing

@testable import SwiftletServer

#if canImport(Glibc)
import Glibc
#endif

@Suite("MemoryTrimStateMachine")
struct MemoryTrimStateMachineTests {
    static let mib = 1 << 20

    @Test("free memory below the threshold is left alone")
    func belowThreshold() {
        var machine = MemoryTrimStateMachine(threshold: 32 * Self.mib)
        #expect(machine.sampled(.init(freeBytes: 31 * Self.mib, residentBytes: 20 * Self.mib)) == .none)
        #expect(machine.sampled(.init(freeBytes: 31 * Self.mib, residentBytes: 900 * Self.mib)) == .none)
    }

    @Test("a spike (free memory, and the resident size grown as much) is trimmed once, not every interval")
    func spikeTrimmedOnce() {
        var machine = MemoryTrimStateMachine(threshold: 32 * Self.mib)
        #expect(machine.sampled(.init(freeBytes: 1 * Self.mib, residentBytes: 20 * Self.mib)) == .none)
        // The spike's memory is freed, and still resident.
        #expect(machine.sampled(.init(freeBytes: 575 * Self.mib, residentBytes: 600 * Self.mib)) == .trim)
        machine.trimmed(residentBytesAfter: 25 * Self.mib)
        // The trimmed chunks still count as free, but are no longer resident: nothing to give back.
        for _ in 0..<5 {
            #expect(machine.sampled(.init(freeBytes: 575 * Self.mib, residentBytes: 25 * Self.mib)) == .none)
        }
        // A second spike reuses them and frees them again: resident once more.
        #expect(machine.sampled(.init(freeBytes: 575 * Self.mib, residentBytes: 590 * Self.mib)) == .trim)
    }

    @Test("growth is measured from the lowest resident size since the last trim")
    func growthFromTheFloor() {
        var machine = MemoryTrimStateMachine(threshold: 32 * Self.mib)
        #expect(machine.sampled(.init(freeBytes: 40 * Self.mib, residentBytes: 300 * Self.mib)) == .none)
        #expect(machine.sampled(.init(freeBytes: 40 * Self.mib, residentBytes: 200 * Self.mib)) == .none)
        #expect(machine.sampled(.init(freeBytes: 40 * Self.mib, residentBytes: 231 * Self.mib)) == .none)
        #expect(machine.sampled(.init(freeBytes: 40 * Self.mib, residentBytes: 232 * Self.mib)) == .trim)
    }

    @Test("without a resident size, free memory alone decides")
    func withoutResidentSize() {
        var machine = MemoryTrimStateMachine(threshold: 32 * Self.mib)
        #expect(machine.sampled(.init(freeBytes: 32 * Self.mib, residentBytes: nil)) == .trim)
        machine.trimmed(residentBytesAfter: nil)
        #expect(machine.sampled(.init(freeBytes: 32 * Self.mib, residentBytes: nil)) == .trim)
        #expect(machine.sampled(.init(freeBytes: 1, residentBytes: nil)) == .none)
    }
}

@Suite("MemoryTrimmer", .timeLimit(.minutes(1)))
struct MemoryTrimmerTests {
    static let mib = 1 << 20

    /// A malloc whose free bytes and resident size a test sets, and which counts trims; a trim
    /// gives back what it holds free.
    final class FakeMalloc: Sendable {
        struct State {
            var free = 0
            var resident = 0
            var trims = 0
        }
        let state = NIOLockedValueBox(State())

        var access: MemoryTrimmer.Malloc {
            MemoryTrimmer.Malloc(
                freeBytes: { self.state.withLockedValue { $0.free } },
                residentBytes: { self.state.withLockedValue { $0.resident } },
                trim: {
                    self.state.withLockedValue {
                        $0.trims += 1
                        $0.resident -= $0.free
                    }
                })
        }
    }

    static let logger: Logger = {
        var logger = Logger(label: "swiftlet.test")
        logger.logLevel = .critical
        return logger
    }()

    /// Runs `body` with a trimmer on a loop of its own and a pool of its own; its checks run only
    /// when the test calls `check()`.
    private func withTrimmer<Result>(
        malloc: MemoryTrimmer.Malloc, _ body: (MemoryTrimmer, any EventLoop) async throws -> Result
    ) async throws -> Result {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let loop = group.any()
        let trimmer = MemoryTrimmer(
            interval: .hours(1), eventLoop: loop, threadPool: pool, malloc: malloc, logger: Self.logger)
        do {
            let result = try await body(trimmer, loop)
            try await pool.shutdownGracefully()
            try await group.shutdownGracefully()
            return result
        } catch {
            try? await pool.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw error
        }
    }

    @Test("a check trims when the state machine says so, and counts what the resident size lost")
    func checkTrimsAndCounts() async throws {
        let fake = FakeMalloc()
        try await withTrimmer(malloc: fake.access) { trimmer, _ in
            fake.state.withLockedValue { $0 = .init(free: 0, resident: 20 * Self.mib) }
            try await trimmer.check().get()
            #expect(trimmer.statistics == .init())

            fake.state.withLockedValue { $0 = .init(free: 500 * Self.mib, resident: 600 * Self.mib) }
            try await trimmer.check().get()
            #expect(fake.state.withLockedValue { $0.trims } == 1)
            #expect(trimmer.statistics == .init(trims: 1, releasedBytes: 500 * Self.mib))

            // The chunks are still free in malloc's bins, but no longer resident: no second trim.
            try await trimmer.check().get()
            #expect(fake.state.withLockedValue { $0.trims } == 1)
        }
    }

    @Test("start and stop: stop completes, and nothing runs after it")
    func startStop() async throws {
        let fake = FakeMalloc()
        try await withTrimmer(malloc: fake.access) { trimmer, _ in
            trimmer.start()
            try await trimmer.stop().get()
            try await trimmer.stop().get()  // a second stop is harmless
        }
        #expect(fake.state.withLockedValue { $0.trims } == 0)
    }

    @Test("/metrics and /api/v1/stats show what the trimmer did")
    func adminShowsCounters() async throws {
        let fake = FakeMalloc()
        try await withTrimmer(malloc: fake.access) { trimmer, loop in
            fake.state.withLockedValue { $0 = .init(free: 0, resident: 20 * Self.mib) }
            try await trimmer.check().get()
            fake.state.withLockedValue { $0 = .init(free: 500 * Self.mib, resident: 600 * Self.mib) }
            try await trimmer.check().get()

            let token = "test-admin-token-0123456789"
            let broker = Broker(configuration: BrokerConfiguration(), logger: Self.logger)
            let api = AdminAPI(broker: broker, adminToken: token, memoryTrimmer: trimmer, logger: Self.logger)
            let metrics = try await api.respond(to: AdminRequest(method: "GET", target: "/metrics"), on: loop).get()
            let text = String(buffer: try #require(metrics.body))
            #expect(text.contains("# TYPE swiftlet_memory_trims_total counter"))
            #expect(text.contains("\nswiftlet_memory_trims_total 1\n"))
            #expect(text.contains("\nswiftlet_memory_trim_released_bytes_total \(500 * Self.mib)\n"))

            let stats = try await api.respond(
                to: AdminRequest(method: "GET", target: "/api/v1/stats", headers: ["Authorization": "Bearer \(token)"]),
                on: loop
            ).get()
            let body = try #require(stats.body)
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
            let memory = try #require(json["memory"] as? [String: Any])
            #expect(memory["trims"] as? Int == 1)
            #expect(memory["releasedBytes"] as? Int == 500 * Self.mib)
        }
    }

    #if canImport(Glibc)
    @Test("glibc: a fragmented 128 MiB of freed memory goes back to the system")
    func glibcTrim() async throws {
        try await withTrimmer(malloc: .glibc) { trimmer, _ in
            // The tests of this process run in parallel, and their own allocations and frees move
            // the resident size and malloc's free bytes by tens of MiB while this one measures (a
            // suite that frees as much as this spike adds hides the growth the trimmer waits for).
            // So the spike is tried up to three times; one trim in those is what must happen.
            var released = 0
            for _ in 0..<3 {
                let before = trimmer.statistics
                try await spikeAndCheck(trimmer)
                let after = trimmer.statistics
                if after.trims > before.trims {
                    released = after.releasedBytes - before.releasedBytes
                    break
                }
            }
            #expect(trimmer.statistics.trims >= 1, "\(trimmer.statistics)")
            // Other tests allocate meanwhile: ask for half of what was freed.
            #expect(released >= 64 * Self.mib, "\(trimmer.statistics)")
        }
    }

    /// Checks, makes a fragmented 128 MiB spike and frees it, and checks again.
    private func spikeAndCheck(_ trimmer: MemoryTrimmer) async throws {
        // Other tests in this process may have left freed memory in malloc's arenas, which the
        // spike below would reuse without growing the resident size (and the trimmer only
        // trims after growth): give it back first.
        MemoryTrimmer.Malloc.glibc.trim()
        // This check sees the resident size before the spike.
        try await trimmer.check().get()

        // 1 KiB keepers between 64 KiB blocks (below glibc's mmap threshold, so they come
        // from an arena): freeing the blocks leaves free chunks that cannot merge into the
        // top of the heap, which free() alone would give back, so they stay resident.
        var big: [UnsafeMutableRawPointer] = []
        var keepers: [UnsafeMutableRawPointer] = []
        for _ in 0..<2048 {
            let block = try #require(malloc(64 * 1024))
            memset(block, 1, 64 * 1024)  // resident
            big.append(block)
            keepers.append(try #require(malloc(1024)))
        }
        defer { keepers.forEach { free($0) } }
        big.forEach { free($0) }

        try await trimmer.check().get()
    }
    #endif
}
