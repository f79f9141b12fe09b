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
/// Point-to-point topics `{parentTopic}/p2p/{clientId}` (DESIGN §5).
///
/// A message published to such a topic goes to the session of `clientId` only, whether or not
/// it subscribed; no client may subscribe to another client's p2p topic.
package enum P2PTopic {
    /// The level that marks a p2p topic, right below the parent topic.
    package static let marker = "p2p"

    /// The target client ID if `topic` is a p2p topic name.
    package static func targetClientID(ofTopic topic: String) -> Substring? {
        guard let firstSlash = topic.utf8.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let afterParent = topic.utf8.index(after: firstSlash)
        let rest = topic[afterParent...]
        guard rest.hasPrefix("p2p/") else { return nil }
        let clientID = rest.dropFirst(4)
        return clientID.isEmpty ? nil : clientID
    }

    /// Whether a subscription to `filter` by `clientID` reaches into some other client's p2p
    /// topics. Filters whose second level is `p2p` are allowed only when the rest is exactly the
    /// subscriber's own client ID; a wildcard there would name other clients.
    package static func isForeignP2PFilter(_ filter: String, subscriberClientID clientID: String) -> Bool {
        if let isForeign = isForeignP2PFilterASCII(filter, subscriberClientID: clientID) { return isForeign }
        let levels = filter.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard levels.count >= 2 else { return false }
        guard levels[1] == Substring(marker) || levels[1] == "+" else { return false }
        if levels[1] == "+" {
            // `chat/+/bob` covers `chat/p2p/bob`; p2p messages never go through subscriptions,
            // so such a filter cannot leak them and stays allowed.
            return false
        }
        guard levels.count == 3 else {
            // `chat/p2p` alone is an ordinary topic, not another client's inbox.
            return false
        }
        return levels[2] != Substring(clientID)
    }

    /// The same answer for an ASCII filter, from its bytes: every SUBSCRIBE asks, and splitting
    /// the filter into an array of levels cost an allocation and about 6,000 instructions per
    /// filter. nil for a filter with other characters, whose levels `split` finds by `Character`
    /// (a `/` followed by a combining mark is not a separator there).
    private static func isForeignP2PFilterASCII(_ filter: String, subscriberClientID clientID: String) -> Bool? {
        let bytes = filter.utf8
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        let slash = UInt8(ascii: "/")
        guard let firstSlash = bytes.firstIndex(of: slash) else { return false }
        let secondStart = bytes.index(after: firstSlash)
        let secondEnd = bytes[secondStart...].firstIndex(of: slash)
        // A second level of `+` (`chat/+/bob`) cannot leak p2p messages either: they never go
        // through subscriptions.
        guard bytes[secondStart..<(secondEnd ?? bytes.endIndex)].elementsEqual(marker.utf8) else { return false }
        // `chat/p2p` alone is an ordinary topic, not another client's inbox.
        guard let secondEnd else { return false }
        return filter[bytes.index(after: secondEnd)...] != Substring(clientID)
    }
}
