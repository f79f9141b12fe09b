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

/// The figures of one run (or one ramp step): what the summary line and the CSV row say.
package struct BenchResult: Hashable, Sendable {
    package var scenario = ""
    package var label = ""
    package var transport = ""
    package var protocolVersion = ""
    package var qos = 0
    package var size = 0
    package var rooms = 0
    package var subscribers = 0
    package var publishers = 0
    package var connections = 0
    /// The ramp step, from 1; 0 without a ramp.
    package var step = 0
    package var targetRate: Double = 0
    package var seconds: Double = 0
    package var sent: UInt64 = 0
    package var sentPerSecond: Double = 0
    package var skippedSends: UInt64 = 0
    package var expected: UInt64 = 0
    package var received: UInt64 = 0
    package var unique: UInt64 = 0
    package var duplicates: UInt64 = 0
    package var reordered: UInt64 = 0
    package var deliveriesPerSecond: Double = 0
    package var p50Microseconds: UInt64 = 0
    package var p99Microseconds: UInt64 = 0
    package var p999Microseconds: UInt64 = 0
    package var maxMicroseconds: UInt64 = 0
    package var connectedCount = 0
    package var failedConnections = 0
    package var droppedConnections = 0
    package var connectsPerSecond: Double = 0
    package var deflateAccepted = 0
    package var brokerCPUMicrosecondsPerDelivery: Double?
    package var brokerRSSKiB: UInt64?
    package var rssPerConnectionKiB: Double?
    /// Ramp only: whether this step held, and why not.
    package var verdict = ""

    package init() {}

    /// Expected deliveries that never arrived (duplicates do not make up for them).
    package var lost: UInt64 { self.expected > self.unique ? self.expected - self.unique : 0 }

    /// ``lost`` as a fraction of ``expected``; 0 when nothing was expected.
    package var lossFraction: Double {
        self.expected == 0 ? 0 : Double(self.lost) / Double(self.expected)
    }

    /// The one-line summary, `key=value` pairs separated by spaces (easy to grep and parse).
    package var summaryLine: String {
        var fields: [(String, String)] = [
            ("scenario", self.scenario), ("broker", self.label.isEmpty ? "-" : self.label),
            ("transport", self.transport), ("mqtt", self.protocolVersion),
        ]
        if self.scenario == "connections" {
            fields += [
                ("connections", "\(self.connectedCount)/\(self.connections)"),
                ("failed", "\(self.failedConnections)"), ("dropped", "\(self.droppedConnections)"),
                ("connect_rate", Self.format(self.connectsPerSecond) + "/s"),
            ]
            if let rss = self.brokerRSSKiB { fields.append(("broker_rss_kib", "\(rss)")) }
            if let perConnection = self.rssPerConnectionKiB {
                fields.append(("rss_per_conn_kib", Self.format(perConnection, decimals: 2)))
            }
            if self.transport == "ws+deflate" { fields.append(("deflate_accepted", "\(self.deflateAccepted)")) }
            return fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
        }
        if self.step > 0 { fields.append(("step", "\(self.step)")) }
        fields += [
            ("qos", "\(self.qos)"), ("size", "\(self.size)"), ("rooms", "\(self.rooms)"),
            ("subscribers", "\(self.subscribers)"), ("publishers", "\(self.publishers)"),
            ("rate", Self.format(self.targetRate) + "/s"), ("seconds", Self.format(self.seconds, decimals: 1)),
            ("sent", "\(self.sent)"), ("sent_rate", Self.format(self.sentPerSecond) + "/s"),
            ("deliveries_per_s", Self.format(self.deliveriesPerSecond)),
            ("expected", "\(self.expected)"), ("received", "\(self.received)"), ("lost", "\(self.lost)"),
            ("loss", Self.format(self.lossFraction * 100, decimals: 3) + "%"),
            ("dups", "\(self.duplicates)"), ("reordered", "\(self.reordered)"),
            ("p50_ms", Self.milliseconds(self.p50Microseconds)), ("p99_ms", Self.milliseconds(self.p99Microseconds)),
            ("p999_ms", Self.milliseconds(self.p999Microseconds)), ("max_ms", Self.milliseconds(self.maxMicroseconds)),
            ("connect_rate", Self.format(self.connectsPerSecond) + "/s"),
        ]
        if self.skippedSends > 0 { fields.append(("skipped_sends", "\(self.skippedSends)")) }
        if self.failedConnections > 0 || self.droppedConnections > 0 {
            fields.append(("failed", "\(self.failedConnections)"))
            fields.append(("dropped", "\(self.droppedConnections)"))
        }
        if self.transport == "ws+deflate" {
            fields.append(("deflate_accepted", "\(self.deflateAccepted)/\(self.connectedCount)"))
        }
        if let cpu = self.brokerCPUMicrosecondsPerDelivery {
            fields.append(("broker_cpu_us_per_delivery", Self.format(cpu, decimals: 3)))
        }
        if let rss = self.brokerRSSKiB { fields.append(("broker_rss_kib", "\(rss)")) }
        if !self.verdict.isEmpty { fields.append(("verdict", self.verdict)) }
        return fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }

    /// The CSV header, matching ``csvRow``.
    package static let csvHeader = [
        "scenario", "broker", "transport", "mqtt", "qos", "size", "rooms", "subscribers", "publishers",
        "connections", "step", "target_rate", "seconds", "sent", "sent_per_s", "skipped_sends", "expected",
        "received", "lost", "loss_pct", "duplicates", "reordered", "deliveries_per_s", "p50_us", "p99_us",
        "p999_us", "max_us", "connected", "failed", "dropped", "connects_per_s", "deflate_accepted",
        "broker_cpu_us_per_delivery", "broker_rss_kib", "rss_per_conn_kib", "verdict",
    ].joined(separator: ",")

    /// One CSV row (RFC 4180; only the verdict can need quoting).
    package var csvRow: String {
        let values: [String] = [
            self.scenario, self.label, self.transport, self.protocolVersion, "\(self.qos)", "\(self.size)",
            "\(self.rooms)", "\(self.subscribers)", "\(self.publishers)", "\(self.connections)", "\(self.step)",
            Self.format(self.targetRate), Self.format(self.seconds, decimals: 3), "\(self.sent)",
            Self.format(self.sentPerSecond, decimals: 1), "\(self.skippedSends)", "\(self.expected)",
            "\(self.received)", "\(self.lost)", Self.format(self.lossFraction * 100, decimals: 4),
            "\(self.duplicates)", "\(self.reordered)", Self.format(self.deliveriesPerSecond, decimals: 1),
            "\(self.p50Microseconds)", "\(self.p99Microseconds)", "\(self.p999Microseconds)",
            "\(self.maxMicroseconds)", "\(self.connectedCount)", "\(self.failedConnections)",
            "\(self.droppedConnections)", Self.format(self.connectsPerSecond, decimals: 1), "\(self.deflateAccepted)",
            self.brokerCPUMicrosecondsPerDelivery.map { Self.format($0, decimals: 4) } ?? "",
            self.brokerRSSKiB.map { "\($0)" } ?? "",
            self.rssPerConnectionKiB.map { Self.format($0, decimals: 3) } ?? "",
            Self.csvField(self.verdict),
        ]
        return values.joined(separator: ",")
    }

    static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return value }
        return "\"" + value.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }

    /// `value` with exactly `decimals` digits after the point, never in exponent notation.
    static func format(_ value: Double, decimals: Int = 0) -> String {
        guard value.isFinite, abs(value) < 1e15 else { return "0" }
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int64((value * Double(scale)).rounded())
        let sign = scaled < 0 ? "-" : ""
        let magnitude = scaled.magnitude
        let whole = magnitude / UInt64(scale)
        guard decimals > 0 else { return sign + String(whole) }
        let fraction = String(magnitude % UInt64(scale))
        return sign + String(whole) + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    static func milliseconds(_ micros: UInt64) -> String {
        Self.format(Double(micros) / 1000, decimals: 3)
    }
}
