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
import ArgumentParser
import SwiftletBench
import SwiftletMQTT

/// `swiftlet bench`: the load generator (DESIGN §8). Argument parsing only; SwiftletBench runs it.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load generator: fan-out, idle connections and chat against any MQTT broker.",
        discussion: """
            Every run is bounded in time and connection count, and talks to loopback only unless
            --allow-remote is given. A progress line goes to stderr every second, a one-line
            summary to stdout; --csv FILE appends one row per run or ramp step.

                swiftlet bench fanout --port 1883 --subscribers 1000 --rooms 10 --publishers 10 --rate 5000
                swiftlet bench fanout --url ws://127.0.0.1:8080/mqtt --ramp 1000:2:256000 --duration 5
                swiftlet bench connections --connections 19000 --source-addresses 4 --broker-pid 1234
                swiftlet bench chat --rooms 400 --subscribers 2000 --rate 2000 --qos 1

            See docs/benchmarks.md.
            """,
        subcommands: [FanoutCommand.self, ConnectionsCommand.self, ChatCommand.self, RoutingCommand.self]
    )
}

/// The flags every scenario takes.
struct BenchOptions: ParsableArguments {
    @Option(help: "Target as a URL: mqtt://HOST:PORT, ws://HOST:PORT/PATH, ws+deflate://HOST:PORT/PATH.")
    var url: String?

    @Option(help: "Broker host (default 127.0.0.1).")
    var host: String = "127.0.0.1"

    @Option(help: "Broker port (default 1883 for tcp, 8080 for ws).")
    var port: Int?

    @Option(help: "tcp, ws or ws+deflate (default tcp).")
    var transport: String = "tcp"

    @Option(help: "WebSocket request path (default /mqtt).")
    var wsPath: String = "/mqtt"

    @Option(name: .customLong("protocol"), help: "MQTT version: 3.1.1 or 5 (default 3.1.1).")
    var protocolVersion: String = "3.1.1"

    @Option(help: "Seconds measured, per run or ramp step (default 10).")
    var duration: Double = 10

    @Option(help: "Seconds of load before measuring (default 2).")
    var warmup: Double = 2

    @Option(help: "Seconds to wait for messages in flight after publishing stops (default 3).")
    var drain: Double = 3

    @Option(help: "Bind client sockets to 127.0.0.1 … 127.0.0.N, so source ports don't run out (default 1).")
    var sourceAddresses: Int = 1

    @Option(help: "Connection handshakes in progress at once (default 200).")
    var connectConcurrency: Int = 200

    @Option(help: "Event loop threads of the load generator (default 1).")
    var threads: Int = 1

    @Option(help: "MQTT keep-alive in seconds (default 60).")
    var keepAlive: UInt16 = 60

    @Option(help: "PID of the broker: report its CPU time per delivery and its RSS (Linux /proc).")
    var brokerPid: Int32?

    @Option(help: "Append one CSV row per run or ramp step to FILE (header if the file is new).")
    var csv: String?

    @Option(help: "A name for the broker in the summary and the CSV.")
    var label: String = ""

    @Flag(help: "Allow a target that is not a loopback address.")
    var allowRemote = false

    /// Fills in the connection-related fields.
    func apply(to configuration: inout BenchConfiguration) throws {
        var host = self.host
        var port = self.port
        var transport = self.transport
        var path = self.wsPath
        if let url {
            let parts = url.split(separator: "://", maxSplits: 1)
            guard parts.count == 2 else { throw ValidationError("--url needs a scheme: \(url)") }
            let scheme = String(parts[0]).lowercased()
            var rest = parts[1]
            if let slash = rest.firstIndex(of: "/") {
                path = String(rest[slash...])
                rest = rest[..<slash]
            }
            if let colon = rest.lastIndex(of: ":"), let parsed = Int(rest[rest.index(after: colon)...]) {
                port = parsed
                rest = rest[..<colon]
            }
            host = String(rest)
            switch scheme {
            case "mqtt", "tcp": transport = "tcp"
            case "ws": transport = "ws"
            case "ws+deflate": transport = "ws+deflate"
            default: throw ValidationError("--url scheme must be mqtt, ws or ws+deflate, not \(scheme)")
            }
        }
        guard let parsedTransport = BenchConfiguration.Transport(rawValue: transport) else {
            throw ValidationError("--transport must be tcp, ws or ws+deflate")
        }
        // DESIGN §8: loopback only unless told otherwise.
        let loopback = host == "localhost" || host.hasPrefix("127.") || host == "::1"
        guard loopback || self.allowRemote else {
            throw ValidationError("\(host) is not a loopback address; pass --allow-remote to load it anyway")
        }
        configuration.host = host == "localhost" ? "127.0.0.1" : host
        configuration.transport = parsedTransport
        configuration.port = port ?? (parsedTransport == .tcp ? 1883 : 8080)
        configuration.webSocketPath = path
        switch self.protocolVersion {
        case "3.1.1", "4": configuration.version = .v3_1_1
        case "5", "5.0": configuration.version = .v5
        default: throw ValidationError("--protocol must be 3.1.1 or 5")
        }
        configuration.duration = self.duration
        configuration.warmup = self.warmup
        configuration.drainTimeout = self.drain
        configuration.sourceAddresses = self.sourceAddresses
        configuration.connectConcurrency = self.connectConcurrency
        configuration.threads = self.threads
        configuration.keepAlive = self.keepAlive
        configuration.brokerPID = self.brokerPid
        configuration.csvPath = self.csv
        configuration.label = self.label
    }
}

/// The flags of the scenarios that publish.
struct LoadOptions: ParsableArguments {
    @Option(help: "QoS of publishes and subscriptions: 0, 1 or 2.")
    var qos: UInt8?

    @Option(help: "Message size in bytes, at least 24 (the header).")
    var size: Int?

    @Option(help: "Rooms (topics).")
    var rooms: Int?

    @Option(help: "fanout: subscriber connections; chat: members (each subscribes and publishes).")
    var subscribers: Int?

    @Option(help: "Messages per second, all publishers together.")
    var rate: Double?

    @Option(help: "Step the rate: START:FACTOR:MAX (e.g. 1000:2:512000); reports the highest step that held.")
    var ramp: String?

    @Option(help: "Ramp: a step holds only with p99 latency at most this many milliseconds (default 100).")
    var maxP99Ms: Double = 100

    @Option(help: "Ramp: a step holds only with loss below this percentage (default 0.1).")
    var maxLossPercent: Double = 0.1

    @Option(help: "QoS 1/2 messages in flight per publisher (default 1000).")
    var maxInflight: Int = 1000

    func apply(to configuration: inout BenchConfiguration) throws {
        if let qos {
            guard let value = QoS(rawValue: qos) else { throw ValidationError("--qos must be 0, 1 or 2") }
            configuration.qos = value
        }
        if let size { configuration.size = size }
        if let rooms { configuration.rooms = rooms }
        if let subscribers { configuration.subscribers = subscribers }
        if let rate { configuration.rate = rate }
        configuration.maximumInflight = self.maxInflight
        if let ramp {
            guard
                let plan = RampPlan(
                    parsing: ramp, maximumLossFraction: self.maxLossPercent / 100,
                    maximumP99Microseconds: UInt64(self.maxP99Ms * 1000))
            else { throw ValidationError("--ramp must be START:FACTOR:MAX with FACTOR > 1") }
            configuration.ramp = plan
        }
    }
}

/// Runs a configured scenario; any failure to run is a validation error with its reason.
private func runBench(_ configuration: BenchConfiguration) throws {
    if let problem = configuration.validationError() { throw ValidationError(problem) }
    do {
        _ = try BenchRunner(configuration: configuration).run()
    } catch let error as BenchError {
        print("bench failed: \(error.description)")
        throw ExitCode.failure
    }
}

struct FanoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout",
        abstract: "S subscribers in R rooms, P publishers: deliveries/s, loss, duplicates, latency.")

    @OptionGroup var options: BenchOptions
    @OptionGroup var load: LoadOptions

    @Option(help: "Publisher connections; publisher i publishes to room i mod rooms (default 10).")
    var publishers: Int = 10

    func run() throws {
        var configuration = BenchConfiguration(scenario: .fanout)
        try self.options.apply(to: &configuration)
        try self.load.apply(to: &configuration)
        configuration.publishers = self.publishers
        try runBench(configuration)
    }
}

struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Many small rooms, QoS 1 by default: every member subscribes to its room and publishes to it.")

    @OptionGroup var options: BenchOptions
    @OptionGroup var load: LoadOptions

    func run() throws {
        var configuration = BenchConfiguration(scenario: .chat)
        try self.options.apply(to: &configuration)
        try self.load.apply(to: &configuration)
        try runBench(configuration)
    }
}

struct ConnectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connections",
        abstract: "N idle connections: connect rate and, with --broker-pid, broker RSS per connection.")

    @OptionGroup var options: BenchOptions

    @Option(help: "Idle connections to open (default 1000, at most 19500).")
    var connections: Int = 1000

    func run() throws {
        var configuration = BenchConfiguration(scenario: .connections)
        try self.options.apply(to: &configuration)
        configuration.connections = self.connections
        try runBench(configuration)
    }
}

/// `swiftlet bench routing`: the broker's router in process, no sockets (RoutingBenchmark).
struct RoutingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing",
        abstract: "The broker's router in process (no sockets): routes per second from every event loop at once.",
        discussion: """
            Runs once per entry of --loops and prints one line each, with routes per second
            relative to the first entry (vs_first):

                swiftlet bench routing --loops 1,2 --placement spread --compare-locked
            """)

    @Option(help: "Event loop counts to compare, comma-separated (default 1,2).")
    var loops = "1,2"
    @Option(help: "Rooms (default 1000).")
    var rooms = 1000
    @Option(help: "Members per room (default 5).")
    var members = 5
    @Option(help: "Messages routed in all, per run (default 400000).")
    var messages = 400_000
    @Option(help: "local: a room's members on its publisher's loop; spread: over every loop (default spread).")
    var placement: String = "spread"
    @Option(help: "Runs per loop count; the best is reported (default 3).")
    var repeats = 3
    @Flag(help: "Also run every loop count with every publish matched under one lock, as before issue 12.")
    var compareLocked = false

    func run() throws {
        let counts = loops.split(separator: ",").compactMap { Int($0) }
        guard !counts.isEmpty, counts.allSatisfy({ (1...64).contains($0) }) else {
            throw ValidationError("--loops takes event loop counts from 1 to 64, comma-separated")
        }
        guard let placement = RoutingBenchmark.Placement(rawValue: placement) else {
            throw ValidationError("--placement is local or spread")
        }
        guard rooms > 0, members > 0, messages > 0, repeats > 0, rooms * members <= 1_000_000 else {
            throw ValidationError("--rooms, --members, --messages and --repeats must be positive; at most 1,000,000 members")
        }
        // Each way of matching is compared with its own first loop count.
        var baselines: [Bool: Double] = [:]
        let runs = (compareLocked ? [true, false] : [false]).flatMap { locked in counts.map { (locked, $0) } }
        for (locked, count) in runs {
            let benchmark = RoutingBenchmark(
                loops: count, rooms: rooms, members: members, messages: messages, placement: placement,
                locked: locked)
            var best: RoutingBenchmark.Result?
            for _ in 0..<repeats {
                let result = try benchmark.run()
                if best.map({ result.routesPerSecond > $0.routesPerSecond }) ?? true { best = result }
            }
            let result = best!
            let ratio = baselines[locked].map { result.routesPerSecond / $0 } ?? 1
            if baselines[locked] == nil { baselines[locked] = result.routesPerSecond }
            print(result.summaryLine(of: benchmark, relativeTo: ratio))
        }
    }
}
