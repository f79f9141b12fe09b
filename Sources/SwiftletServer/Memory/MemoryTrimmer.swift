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
import Logging
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import CMalloc
import Glibc
#endif

/// Gives the memory a spike left in malloc's arenas back to the system (glibc only).
///
/// Every `memory-trim-interval` it reads how much malloc holds free and the resident size, and
/// calls `malloc_trim(0)` when ``MemoryTrimStateMachine`` says it is worth it. Both the reading
/// (`mallinfo2` walks every arena's free chunks under its lock) and the trim run on a
/// `NIOThreadPool` thread, never on an event loop; the state machine, the periodic task and the
/// check in progress live on one event loop, which only schedules the checks and takes their
/// results. Counters for `/metrics` and `/api/v1/stats` are relaxed atomics, read from any loop.
package final class MemoryTrimmer: Sendable {
    /// What the trimmer has done since the start.
    package struct Statistics: Equatable, Sendable {
        /// `malloc_trim` calls.
        package var trims = 0
        /// How much the resident size fell across those calls, in bytes.
        package var releasedBytes = 0

        package init(trims: Int = 0, releasedBytes: Int = 0) {
            self.trims = trims
            self.releasedBytes = releasedBytes
        }
    }

    /// How the trimmer reads malloc and the process and trims; a parameter so that tests can
    /// count what it does.
    package struct Malloc: Sendable {
        /// Bytes in malloc's free chunks, over all arenas.
        package var freeBytes: @Sendable () -> Int
        /// The resident set size in bytes, or nil.
        package var residentBytes: @Sendable () -> Int?
        /// Returns the free pages to the system.
        package var trim: @Sendable () -> Void

        package init(
            freeBytes: @escaping @Sendable () -> Int, residentBytes: @escaping @Sendable () -> Int?,
            trim: @escaping @Sendable () -> Void
        ) {
            self.freeBytes = freeBytes
            self.residentBytes = residentBytes
            self.trim = trim
        }

        #if canImport(Glibc)
        /// glibc's `mallinfo2().fordblks` and `malloc_trim(0)`, and `/proc/self/statm`.
        package static let glibc = Malloc(
            freeBytes: { Int(swiftlet_malloc_free_bytes()) },
            residentBytes: { ResidentSetSize.read() },
            trim: { _ = swiftlet_malloc_trim() })
        #endif
    }

    /// 32 MiB of free memory in malloc, and as much growth of the resident size since the last
    /// trim, make a trim worth it. Steady traffic reuses what it frees and stays below it: under a
    /// saturating fan-out (1,000 subscribers, about 100,000 QoS 1 deliveries of 1 KiB per second,
    /// resident size up to 280 MB) malloc held 10–23 MB free. A burst of queued messages leaves
    /// far more behind (260 MiB after 300 × 1 MB, docs/benchmarks.md), and so does the end of
    /// that fan-out (78 MB given back). Below it, the gain would be small next to the broker's
    /// own 26 MiB at rest, for a walk of every arena under its lock (about 35 ms for 520 MB free).
    package static let defaultThreshold = 32 << 20

    /// Whether this platform's malloc can be trimmed: glibc's can.
    package static var isSupported: Bool {
        #if canImport(Glibc)
        true
        #else
        false
        #endif
    }

    private let interval: TimeAmount
    private let eventLoop: any EventLoop
    private let threadPool: NIOThreadPool
    private let malloc: Malloc
    private let logger: Logger
    /// Confined to `eventLoop`.
    private let state: NIOLoopBoundBox<LoopState>
    private let trims = Atomic<Int>(0)
    private let releasedBytes = Atomic<Int>(0)

    /// What lives on the trimmer's event loop.
    private struct LoopState: Sendable {
        var machine: MemoryTrimStateMachine
        /// The periodic check, between `start()` and `stop()`.
        var task: RepeatedTask?
        /// The check running on the pool, if one is: `stop()` waits for it.
        var checkInProgress: EventLoopFuture<Void>?
    }

    /// - Parameters:
    ///   - interval: Time between two checks.
    ///   - threshold: See ``MemoryTrimStateMachine``.
    ///   - eventLoop: Where the checks are scheduled and their results kept.
    ///   - threadPool: Where malloc is read and trimmed. It must be running.
    ///   - malloc: How, e.g. ``Malloc/glibc``.
    ///   - logger: Each trim at debug, with what it gave back.
    package init(
        interval: TimeAmount, threshold: Int = MemoryTrimmer.defaultThreshold, eventLoop: any EventLoop,
        threadPool: NIOThreadPool, malloc: Malloc, logger: Logger
    ) {
        self.interval = interval
        self.eventLoop = eventLoop
        self.threadPool = threadPool
        self.malloc = malloc
        self.logger = logger
        self.state = NIOLoopBoundBox.makeBoxSendingValue(
            LoopState(machine: MemoryTrimStateMachine(threshold: threshold)), eventLoop: eventLoop)
    }

    /// This process's trimmer with `interval` seconds between checks, on `eventLoop` and
    /// `NIOThreadPool.singleton`; nil when `interval` is 0 (off) or malloc is not glibc's.
    package static func forThisProcess(intervalSeconds: Int, eventLoop: any EventLoop, logger: Logger) -> MemoryTrimmer? {
        #if canImport(Glibc)
        guard intervalSeconds > 0 else { return nil }
        return MemoryTrimmer(
            interval: .seconds(Int64(intervalSeconds)), eventLoop: eventLoop, threadPool: NIOThreadPool.singleton,
            malloc: .glibc, logger: logger)
        #else
        return nil
        #endif
    }

    /// What the trimmer has done so far.
    package var statistics: Statistics {
        Statistics(trims: self.trims.load(ordering: .relaxed), releasedBytes: self.releasedBytes.load(ordering: .relaxed))
    }

    /// Starts checking every interval. Call once.
    package func start() {
        self.eventLoop.execute {
            self.state.value.task = self.eventLoop.scheduleRepeatedAsyncTask(
                initialDelay: self.interval, delay: self.interval
            ) { _ in
                // The next check is scheduled once this one has completed: checks never overlap.
                self.checkOnLoop()
            }
        }
    }

    /// Stops checking; the future completes once a check in progress (on the pool) has finished,
    /// so that none outlives the event loops.
    package func stop() -> EventLoopFuture<Void> {
        self.eventLoop.flatSubmit {
            self.state.value.task?.cancel()
            self.state.value.task = nil
            return self.state.value.checkInProgress ?? self.eventLoop.makeSucceededVoidFuture()
        }
    }

    /// One check: samples on the pool, and trims there too if the state machine says so.
    /// Completes on the trimmer's event loop; never fails.
    package func check() -> EventLoopFuture<Void> {
        self.eventLoop.flatSubmit { self.checkOnLoop() }
    }

    private func checkOnLoop() -> EventLoopFuture<Void> {
        let malloc = self.malloc
        let loop = self.eventLoop
        let check = self.threadPool.runIfActive(eventLoop: loop) {
            MemoryTrimStateMachine.Sample(freeBytes: malloc.freeBytes(), residentBytes: malloc.residentBytes())
        }
        .flatMap { sample -> EventLoopFuture<Void> in
            switch self.state.value.machine.sampled(sample) {
            case .none:
                self.logger.trace(
                    "memory trim not needed",
                    metadata: [
                        "malloc.free.bytes": "\(sample.freeBytes)",
                        "rss.bytes": "\(sample.residentBytes.map(String.init) ?? "unknown")",
                    ])
                return loop.makeSucceededVoidFuture()
            case .trim:
                return self.threadPool.runIfActive(eventLoop: loop) {
                    let before = malloc.residentBytes()
                    let started = NIODeadline.now()
                    malloc.trim()
                    return Trim(residentBefore: before, residentAfter: malloc.residentBytes(), took: .now() - started)
                }
                .map { trim in self.trimmed(trim, sample: sample) }
            }
        }
        .recover { error in
            // The pool is shutting down with the server.
            self.logger.debug("memory trim check skipped", metadata: ["error": "\(error)"])
        }
        self.state.value.checkInProgress = check
        check.assumeIsolated().whenComplete { _ in
            if self.state.value.checkInProgress === check {
                self.state.value.checkInProgress = nil
            }
        }
        return check
    }

    /// What one `malloc_trim` did.
    private struct Trim: Sendable {
        var residentBefore: Int?
        var residentAfter: Int?
        var took: TimeAmount
    }

    private func trimmed(_ trim: Trim, sample: MemoryTrimStateMachine.Sample) {
        self.state.value.machine.trimmed(residentBytesAfter: trim.residentAfter)
        var released = 0
        if let before = trim.residentBefore, let after = trim.residentAfter {
            released = max(0, before - after)
        }
        self.trims.add(1, ordering: .relaxed)
        self.releasedBytes.add(released, ordering: .relaxed)
        self.logger.debug(
            "returned free memory to the system (malloc_trim)",
            metadata: [
                "malloc.free.bytes": "\(sample.freeBytes)",
                "rss.before.bytes": "\(trim.residentBefore.map(String.init) ?? "unknown")",
                "rss.after.bytes": "\(trim.residentAfter.map(String.init) ?? "unknown")",
                "released.bytes": "\(released)",
                "duration.ms": "\(trim.took.nanoseconds / 1_000_000)",
            ])
    }
}

#if canImport(Glibc)
/// The resident set size of this process, from `/proc/self/statm`.
enum ResidentSetSize {
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// proc(5): `/proc/self/statm` holds sizes in pages, the resident one second. Nil when the
    /// file cannot be read (no procfs).
    static func read() -> Int? {
        let descriptor = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        // Seven numbers: far less than 256 bytes.
        var bytes = [UInt8](repeating: 0, count: 256)
        let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let fields = bytes[..<count].split(separator: UInt8(ascii: " "))
        guard fields.count > 1, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return nil }
        return pages * Self.pageSize
    }
}
#endif
