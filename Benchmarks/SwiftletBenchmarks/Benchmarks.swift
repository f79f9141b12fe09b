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
import Benchmark

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The hot-path allocation budget of issue 5 (DESIGN §4, STYLE §4 "Benchmarks" and
// "Allocation regressions", STYLE §8.14): zero allocations per QoS 0 delivery beyond the shared
// buffers. Each benchmark counts mallocs with package-benchmark's malloc interposer; on CI only
// `mallocCountTotal` is checked, because it is deterministic on one toolchain, while time and
// instructions vary with the machine. Thresholds are in Benchmarks/Thresholds/<toolchain>/ and
// hold the count for one run of a benchmark's closure (package-benchmark does not divide
// thresholds by the scaling factor); each benchmark says what one run does, so the count per
// operation is the threshold divided by that.
//
// Run with scripts/benchmarks.sh; SWIFTLET_BENCHMARKS=1 makes Package.swift add this target.

let benchmarks: @Sendable () -> Void = {
    // Locally, `SWIFTLET_BENCHMARK_ALL_METRICS=1 scripts/benchmarks.sh run` also shows time and
    // instructions; the checked thresholds only ever hold mallocCountTotal.
    Benchmark.defaultConfiguration = .init(
        metrics: allMetrics ? [.mallocCountTotal, .wallClock, .instructions, .memoryLeaked] : [.mallocCountTotal],
        // Enough runs before measuring for every buffer that is kept between publishes (a
        // LoopFlusher's two swapped arrays, a channel's outbound buffers) to have grown: the
        // thresholds hold the steady state.
        warmupIterations: 3,
        maxDuration: .seconds(2),
        maxIterations: 20
    )
    decodeBenchmarks()
    subscriptionIndexBenchmarks()
    inboundPublishBenchmarks()
    fanOutBenchmarks()
}

private let allMetrics = getenv("SWIFTLET_BENCHMARK_ALL_METRICS") != nil
