// swift-tools-version: 6.1
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

import PackageDescription

// MARK: - Shared settings

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// MARK: - Package

let package = Package(
    name: "swiftlet",
    products: [
        .executable(name: "swiftlet", targets: ["SwiftletCommand"]),
        .library(name: "SwiftletCloud", targets: ["SwiftletCloud"]),
        .executable(name: "chat-backend", targets: ["ChatBackend"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // Layer 0: the MQTT packet model and codec. NIOCore only.
        .target(
            name: "SwiftletMQTT",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio")
            ],
            swiftSettings: swiftSettings
        ),
        // Layer 0: the system zlib, for permessage-deflate (RFC 7692).
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Layer 1: RFC 6455 handshake and frames, RFC 7692 permessage-deflate. NIOCore only.
        .target(
            name: "SwiftletWebSocket",
            dependencies: [
                "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Layer 0: credential formats, signatures and tokens. No NIO.
        .target(
            name: "SwiftletAuth",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto")
            ],
            swiftSettings: swiftSettings
        ),
        // Layer 1: sessions, routing, fan-out. NIOCore only: no sockets, no transports.
        .target(
            name: "SwiftletBroker",
            dependencies: [
                "SwiftletMQTT",
                "SwiftletAuth",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        // Layer 2: the client side of an MQTT connection over TCP, WebSocket and
        // WebSocket+permessage-deflate; shared by the load generator and the tests.
        .target(
            name: "SwiftletClient",
            dependencies: [
                "SwiftletMQTT",
                "SwiftletWebSocket",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // Layer 3: the cloud SDK for backends (DESIGN §7), over SwiftletClient's MQTT 5 connection.
        .target(
            name: "SwiftletCloud",
            dependencies: [
                "SwiftletClient",
                "SwiftletMQTT",
                "SwiftletAuth",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // Layer 3: the load generator behind `swiftlet bench`.
        .target(
            name: "SwiftletBench",
            dependencies: [
                "SwiftletClient",
                "SwiftletMQTT",
                // The in-process routing benchmark (RoutingBenchmark.swift) drives the broker itself.
                "SwiftletBroker",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // glibc's mallinfo2 and malloc_trim, for SwiftletServer's MemoryTrimmer (empty elsewhere).
        .systemLibrary(
            name: "CMalloc",
            path: "Sources/CMalloc"
        ),
        // Layer 3: listeners, configuration, lifecycle.
        .target(
            name: "SwiftletServer",
            dependencies: [
                "CMalloc",
                "SwiftletAuth",
                "SwiftletBroker",
                "SwiftletMQTT",
                "SwiftletWebSocket",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // The system SQLite, for the chat-backend example's history (and the store to come, DESIGN §9).
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // Example: the demo page's chat backend, built on the cloud SDK (docs/web-demo.md).
        .executableTarget(
            name: "ChatBackend",
            dependencies: [
                "SwiftletCloud",
                "CSQLite",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/ChatBackend",
            swiftSettings: swiftSettings
        ),
        // Layer 4: the `swiftlet` executable. Argument parsing only.
        .executableTarget(
            name: "SwiftletCommand",
            dependencies: [
                "SwiftletServer",
                "SwiftletBench",
                "SwiftletAuth",
                "SwiftletMQTT",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/swiftlet",
            swiftSettings: swiftSettings
        ),

        // MARK: - Fuzz cases

        // The properties the libFuzzer targets check (issue 14), one library per layer so that the
        // matching test target replays committed inputs through the same code without the fuzzer.
        // The fuzz executables themselves are added below only when SWIFTLET_FUZZ is set.
        .target(
            name: "SwiftletFuzzSupport",
            path: "FuzzTesting/Sources/SwiftletFuzzSupport",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SwiftletMQTTFuzz",
            dependencies: [
                "SwiftletFuzzSupport",
                "SwiftletMQTT",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "FuzzTesting/Sources/SwiftletMQTTFuzz",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SwiftletWebSocketFuzz",
            dependencies: [
                "SwiftletFuzzSupport",
                "SwiftletWebSocket",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "FuzzTesting/Sources/SwiftletWebSocketFuzz",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SwiftletAuthFuzz",
            dependencies: [
                "SwiftletFuzzSupport",
                "SwiftletAuth",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "FuzzTesting/Sources/SwiftletAuthFuzz",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SwiftletServerFuzz",
            dependencies: [
                "SwiftletFuzzSupport",
                "SwiftletServer",
                "SwiftletBroker",
                "SwiftletWebSocket",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "FuzzTesting/Sources/SwiftletServerFuzz",
            swiftSettings: swiftSettings
        ),

        // MARK: - Tests

        .testTarget(
            name: "ChatBackendTests",
            dependencies: [
                "ChatBackend",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwiftletMQTTTests",
            dependencies: [
                "SwiftletMQTT",
                "SwiftletMQTTFuzz",
                "SwiftletFuzzSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwiftletWebSocketTests",
            dependencies: [
                "SwiftletWebSocket",
                "SwiftletWebSocketFuzz",
                "SwiftletFuzzSupport",
                "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwiftletAuthTests",
            dependencies: ["SwiftletAuth", "SwiftletAuthFuzz", "SwiftletFuzzSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwiftletBrokerTests",
            dependencies: [
                "SwiftletBroker",
                "SwiftletMQTT",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwiftletClientTests",
            dependencies: [
                "SwiftletClient",
                "SwiftletMQTT",
                "SwiftletWebSocket",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwiftletCloudTests",
            dependencies: [
                "SwiftletCloud",
                "SwiftletServer",
                "SwiftletAuth",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwiftletBenchTests",
            dependencies: [
                "SwiftletBench",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwiftletServerTests",
            dependencies: [
                "SwiftletServer",
                "SwiftletServerFuzz",
                "SwiftletFuzzSupport",
                "SwiftletAuth",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                "SwiftletClient",
                "SwiftletBroker",
                "SwiftletMQTT",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

// MARK: - Benchmarks (opt-in)

// The allocation benchmarks (STYLE §4 "Benchmarks", §8.14) measure package-access APIs of
// SwiftletMQTT and SwiftletBroker, which a nested package could not see, so they are a target of
// this package. They and package-benchmark (ordo-one/benchmark) are added only when
// SWIFTLET_BENCHMARKS is set, so the normal build and test neither resolve nor build them (the
// pattern of hummingbird@2.28.1:Package.swift:209). Run them with scripts/benchmarks.sh.
if Context.environment["SWIFTLET_BENCHMARKS"] != nil {
    package.dependencies.append(
        // The malloc interposer counts allocations without jemalloc. The package's other default
        // trait, RuntimeInterposer, is only for retain/release counts on Swift 6.3 and would need
        // ordo-one/swift-runtime-interposer as one more dependency: left off.
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"])
    )
    package.targets.append(
        .executableTarget(
            name: "SwiftletBenchmarks",
            dependencies: [
                "SwiftletBroker",
                "SwiftletMQTT",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/SwiftletBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        )
    )
}

// MARK: - Fuzz targets (opt-in)

// The libFuzzer targets (issue 14): executables that export LLVMFuzzerTestOneInput and need
// package access to the codecs, so they are targets of this package, like the benchmarks. They
// are added only when SWIFTLET_FUZZ is set, so the normal build and tests never see them; build
// and run them with scripts/fuzz.sh (libFuzzer and AddressSanitizer, scratch path .build-fuzz),
// which explains the flags.
if Context.environment["SWIFTLET_FUZZ"] != nil {
    let fuzzTargets: [(name: String, harness: Target.Dependency)] = [
        ("FuzzMQTTDecoder", "SwiftletMQTTFuzz"),
        ("FuzzWebSocketFrames", "SwiftletWebSocketFuzz"),
        ("FuzzDeflateInflater", "SwiftletWebSocketFuzz"),
        ("FuzzHTTPRequestHead", "SwiftletServerFuzz"),
        ("FuzzAuthParsers", "SwiftletAuthFuzz"),
        ("FuzzConfiguration", "SwiftletServerFuzz"),
    ]
    for (name, harness) in fuzzTargets {
        package.targets.append(
            .executableTarget(
                name: name,
                dependencies: ["SwiftletFuzzSupport", harness],
                path: "FuzzTesting/Sources/\(name)",
                // No `main` of Swift's own: libFuzzer's main calls LLVMFuzzerTestOneInput.
                swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]
            )
        )
    }
}
