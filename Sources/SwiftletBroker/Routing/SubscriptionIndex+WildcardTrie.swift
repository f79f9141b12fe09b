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

extension SubscriptionIndex {
    /// The filters that hold a wildcard, in a trie keyed by topic level (DESIGN §4 rule 2).
    ///
    /// A filter's levels spell a path from the root: a literal level follows a child by its text, `+` follows the
    /// node's single-level wildcard child, and a trailing `#` is not a node but a set of subscribers kept on the node
    /// of the levels before it. A publish walks the topic's levels once and forks only where a node has a `+` child;
    /// each node is visited at most once per publish, since the levels of the topic fix the path to it. The walk
    /// recurses once per level, so its depth is the level count of the deepest filter in the trie, which the
    /// broker's limit on topic levels bounds (DESIGN §9).
    ///
    /// Nodes live in one array and name each other by position. That keeps value semantics without a class per
    /// node, and a walk is array indexing. Removing the last subscription of a node prunes it and every ancestor it
    /// leaves empty; their slots are reused, and once no node but the root is left the array is given back.
    struct WildcardTrie: Sendable {
        /// Which subscribers of a node a filter names.
        private enum Slot {
            /// The filter ends at the node.
            case filterEnd
            /// The filter is the node's path followed by `/#` (at the root: `#` alone).
            case multiLevelWildcard
        }

        /// How a node hangs from its parent, so that pruning can unlink it.
        private enum Edge: Sendable {
            case root
            case literal(TopicKey)
            case singleLevelWildcard
        }

        private struct Node: Sendable {
            /// The children for literal levels, by text.
            var literalChildren: [TopicKey: Int] = [:]
            /// The child for `+`.
            var singleLevelWildcardChild: Int?
            /// Subscriptions to the filter whose last level is this node.
            var filterEndSubscribers = FilterSubscribers()
            /// Subscriptions to this node's filter followed by `/#`.
            var multiLevelWildcardSubscribers = FilterSubscribers()
            var parent: Int
            var edge: Edge

            init(parent: Int, edge: Edge) {
                self.parent = parent
                self.edge = edge
            }

            var isPrunable: Bool {
                self.literalChildren.isEmpty && self.singleLevelWildcardChild == nil
                    && self.filterEndSubscribers.isEmpty && self.multiLevelWildcardSubscribers.isEmpty
            }
        }

        private static var rootPosition: Int { 0 }

        private var nodes: [Node] = [Node(parent: 0, edge: .root)]
        /// Slots of pruned nodes, to reuse before growing `nodes`.
        private var freeSlots: [Int] = []
        /// The number of distinct filters with at least one subscription.
        private(set) var filterCount = 0

        /// The number of live nodes, the root included.
        var nodeCount: Int {
            self.nodes.count - self.freeSlots.count
        }

        /// Runs `body` on the subscribers of `topicFilter`, then keeps the filter count and the shape of the trie in
        /// step with what `body` did.
        ///
        /// - Parameters:
        ///   - topicFilter: A topic filter holding a wildcard, without any share prefix.
        ///   - createPath: Whether to create the nodes of a filter that is not in the trie yet.
        ///   - body: Changes the subscribers.
        /// - Returns: What `body` returned, or `nil` if the filter is not in the trie and `createPath` is `false`.
        mutating func modifySubscribers<Result>(
            of topicFilter: Substring,
            createPath: Bool,
            _ body: (inout FilterSubscribers) -> Result
        ) -> Result? {
            guard let (node, slot) = self.locate(topicFilter, createPath: createPath) else {
                return nil
            }
            let result: Result
            let wasEmpty: Bool
            let isEmpty: Bool
            switch slot {
            case .filterEnd:
                wasEmpty = self.nodes[node].filterEndSubscribers.isEmpty
                result = body(&self.nodes[node].filterEndSubscribers)
                isEmpty = self.nodes[node].filterEndSubscribers.isEmpty
            case .multiLevelWildcard:
                wasEmpty = self.nodes[node].multiLevelWildcardSubscribers.isEmpty
                result = body(&self.nodes[node].multiLevelWildcardSubscribers)
                isEmpty = self.nodes[node].multiLevelWildcardSubscribers.isEmpty
            }
            switch (wasEmpty, isEmpty) {
            case (true, false): self.filterCount += 1
            case (false, true): self.filterCount -= 1
            case (true, true), (false, false): break
            }
            if isEmpty {
                // Also undoes the path `locate` just created when `body` added nothing.
                self.prune(from: node)
            }
            return result
        }

        /// Adds the subscriptions of every filter in the trie that matches `topic`.
        mutating func collectMatches(topic: Substring, publisher: Subscriber?, into collector: inout MatchCollector) {
            // [MQTT-4.7.2-1] A filter starting with a wildcard does not match a topic name starting with "$".
            let topicStartsWithDollar = topic.utf8.first == UInt8(ascii: "$")
            self.collectMatches(
                at: Self.rootPosition,
                remainingLevels: TopicLevels(topic),
                wildcardsApply: !topicStartsWithDollar,
                publisher: publisher,
                into: &collector
            )
        }

        /// Matches the levels of the topic after the path of `node`.
        ///
        /// - Parameter wildcardsApply: Whether `+` and `#` children of `node` may match the next level; `false` only
        ///   at the root for a `$` topic.
        private mutating func collectMatches(
            at node: Int,
            remainingLevels: TopicLevels,
            wildcardsApply: Bool,
            publisher: Subscriber?,
            into collector: inout MatchCollector
        ) {
            // `#` matches any number of levels, zero included: "sport/#" also matches "sport" (MQTT 5 §4.7.1.2).
            if wildcardsApply, !self.nodes[node].multiLevelWildcardSubscribers.isEmpty {
                self.nodes[node].multiLevelWildcardSubscribers.collectMatches(publisher: publisher, into: &collector)
            }
            var levels = remainingLevels
            guard let level = levels.next() else {
                if !self.nodes[node].filterEndSubscribers.isEmpty {
                    self.nodes[node].filterEndSubscribers.collectMatches(publisher: publisher, into: &collector)
                }
                return
            }
            if let child = self.nodes[node].literalChildren[TopicKey(level)] {
                self.collectMatches(
                    at: child,
                    remainingLevels: levels,
                    wildcardsApply: true,
                    publisher: publisher,
                    into: &collector
                )
            }
            // `+` matches exactly one level, an empty one included (MQTT 5 §4.7.1.3).
            if wildcardsApply, let child = self.nodes[node].singleLevelWildcardChild {
                self.collectMatches(
                    at: child,
                    remainingLevels: levels,
                    wildcardsApply: true,
                    publisher: publisher,
                    into: &collector
                )
            }
        }

        /// Finds the node and slot of `topicFilter`, creating its path if asked to.
        private mutating func locate(_ topicFilter: Substring, createPath: Bool) -> (node: Int, slot: Slot)? {
            var node = Self.rootPosition
            var levels = TopicLevels(topicFilter)
            while let level = levels.next() {
                if TopicLevels.isMultiLevelWildcard(level), levels.isFinished {
                    return (node, .multiLevelWildcard)
                }
                if TopicLevels.isSingleLevelWildcard(level) {
                    if let child = self.nodes[node].singleLevelWildcardChild {
                        node = child
                        continue
                    }
                    guard createPath else {
                        return nil
                    }
                    let child = self.makeNode(parent: node, edge: .singleLevelWildcard)
                    self.nodes[node].singleLevelWildcardChild = child
                    node = child
                } else {
                    // Anything else is literal text, `#` before the last level included (see
                    // `ParsedSubscriptionFilter`).
                    if let child = self.nodes[node].literalChildren[TopicKey(level)] {
                        node = child
                        continue
                    }
                    guard createPath else {
                        return nil
                    }
                    let key = TopicKey(copying: level)
                    let child = self.makeNode(parent: node, edge: .literal(key))
                    self.nodes[node].literalChildren[key] = child
                    node = child
                }
            }
            return (node, .filterEnd)
        }

        private mutating func makeNode(parent: Int, edge: Edge) -> Int {
            let node = Node(parent: parent, edge: edge)
            if let slot = self.freeSlots.popLast() {
                self.nodes[slot] = node
                return slot
            }
            self.nodes.append(node)
            return self.nodes.count - 1
        }

        /// Unlinks `start` and its ancestors for as long as they are empty.
        private mutating func prune(from start: Int) {
            var node = start
            while node != Self.rootPosition, self.nodes[node].isPrunable {
                let parent = self.nodes[node].parent
                switch self.nodes[node].edge {
                case .literal(let key):
                    self.nodes[parent].literalChildren[key] = nil
                case .singleLevelWildcard:
                    self.nodes[parent].singleLevelWildcardChild = nil
                case .root:
                    fatalError("Internal inconsistency: node \(node) is not the root but has no parent edge")
                }
                // Drop the node's (empty) tables now rather than when the slot is reused.
                self.nodes[node] = Node(parent: Self.rootPosition, edge: .root)
                self.freeSlots.append(node)
                node = parent
            }
            if self.nodeCount == 1, self.nodes.count > 1 {
                // Only the root is left: give the arena back, so that a burst of filters does not pin memory.
                self.nodes = [self.nodes[Self.rootPosition]]
                self.freeSlots = []
            }
        }
    }
}
