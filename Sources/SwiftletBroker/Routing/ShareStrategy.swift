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
import SwiftletMQTT

/// How a shared subscription group picks the member that gets a message (MQTT 5 §4.8.2 leaves the choice to the
/// server).
///
/// A member asks for a strategy with the SUBSCRIBE user property `share-strategy` (``userPropertyName``); a group
/// uses ``hashTopic`` as long as one of its members asked for it, ``roundRobin`` otherwise.
package enum ShareStrategy: Sendable, Hashable {
    /// Each message to the next available member in turn: the default.
    case roundRobin
    /// Each message to the available member chosen by a hash of its topic, so that all messages of one topic go to
    /// the same member, in order, while the group's membership and availability stay the same. When a member joins,
    /// leaves or goes offline the topics are spread again over the members that remain.
    case hashTopic

    /// The SUBSCRIBE user property that names the strategy.
    package static let userPropertyName = "share-strategy"

    /// The strategy a `share-strategy` value names, or nil for a value the broker does not know.
    package init?(userPropertyValue value: String) {
        switch value {
        case "round-robin": self = .roundRobin
        case "hash-topic": self = .hashTopic
        default: return nil
        }
    }

    /// The strategy a SUBSCRIBE's properties ask for: ``roundRobin`` without the user property, nil for a value the
    /// broker does not know.
    package static func requested(by properties: Properties) -> ShareStrategy? {
        for case .userProperty(let name, let value) in properties.list where name == userPropertyName {
            return ShareStrategy(userPropertyValue: value)
        }
        return .roundRobin
    }

    /// FNV-1a over the topic's bytes: stable across processes and restarts (Swift's `Hasher` is seeded per process),
    /// and allocation-free.
    static func topicHash(_ topic: Substring) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in topic.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
