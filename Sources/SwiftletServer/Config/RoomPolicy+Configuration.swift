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
import SwiftletBroker

extension RoomPolicy {
    /// The keys of a room policy in the config file (`rooms:` entries) and in `--room`.
    static let configurationKeys = ["match", "batch_ms", "rate_limit", "overflow", "client_rate_limit"]

    /// Builds a policy from its settings, as the config file and the `--room` flag give them:
    /// `match` (required), `batch_ms`, `rate_limit` and `client_rate_limit` (`500/s` or `500`),
    /// `overflow` (`drop_newest`, `drop_oldest`, `sample`).
    init(settings: [(key: String, value: String)]) throws(ConfigurationError) {
        var filter: String?
        var policy = RoomPolicy(filter: "")
        for (key, value) in settings {
            switch key {
            case "match":
                filter = value
            case "batch_ms":
                guard let milliseconds = Int(value), (1...10_000).contains(milliseconds) else {
                    throw ConfigurationError("room: batch_ms: expected milliseconds in 1...10000, got '\(value)'")
                }
                policy.batchInterval = .milliseconds(Int64(milliseconds))
            case "rate_limit":
                policy.rateLimit = try Self.rate(key, value)
            case "client_rate_limit":
                policy.clientRateLimit = try Self.rate(key, value)
            case "overflow":
                guard let overflow = RoomOverflowPolicy(rawValue: value) else {
                    let known = RoomOverflowPolicy.allCases.map(\.rawValue).joined(separator: ", ")
                    throw ConfigurationError("room: overflow: expected one of \(known), got '\(value)'")
                }
                policy.overflow = overflow
            default:
                throw ConfigurationError(
                    "room: unknown key '\(key)' (known: \(Self.configurationKeys.joined(separator: ", ")))")
            }
        }
        guard let filter else { throw ConfigurationError("room: 'match' (a topic filter) is required") }
        policy.filter = filter
        if let problem = policy.problem { throw ConfigurationError("room: \(filter): \(problem)") }
        self = policy
    }

    /// Parses the `--room` form: the topic filter, then `key=value` settings, separated by spaces
    /// (`"live/# batch_ms=30 rate_limit=500/s overflow=drop_oldest"`).
    init(flag: String) throws(ConfigurationError) {
        let words = flag.split(separator: " ", omittingEmptySubsequences: true)
        guard let first = words.first, !first.contains("=") else {
            throw ConfigurationError("room: expected 'FILTER key=value ...', got '\(flag)'")
        }
        var settings: [(key: String, value: String)] = [("match", String(first))]
        for word in words.dropFirst() {
            guard let equals = word.firstIndex(of: "=") else {
                throw ConfigurationError("room: expected key=value, got '\(word)'")
            }
            settings.append((String(word[..<equals]), String(word[word.index(after: equals)...])))
        }
        try self.init(settings: settings)
    }

    private static func rate(_ key: String, _ value: String) throws(ConfigurationError) -> Int {
        let number = value.hasSuffix("/s") ? String(value.dropLast(2)) : value
        guard let rate = Int(number), rate > 0 else {
            throw ConfigurationError("room: \(key): expected messages per second such as 500/s, got '\(value)'")
        }
        return rate
    }
}
