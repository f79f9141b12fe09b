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

/// One change to the subscription index, as a value: what the writer did to its index, replayed in
/// the same order by every event loop's copy of it (``SubscriptionJournal``).
package enum SubscriptionChange<Subscriber: Hashable & Sendable>: Sendable {
    case subscribe(Subscriber, filter: String, options: SubscriptionOptions)
    case unsubscribe(Subscriber, filter: String)
    case unsubscribeAll(Subscriber, filters: [String])
    case replace(Subscriber, with: Subscriber, filters: [String])
    case setAvailable(Subscriber, Bool)
}

extension SubscriptionIndex {
    /// Replays a change that another copy of the index took.
    package mutating func apply(_ change: SubscriptionChange<Subscriber>) {
        switch change {
        case .subscribe(let subscriber, let filter, let options):
            self.subscribe(subscriber, filter: filter, options: options)
        case .unsubscribe(let subscriber, let filter):
            self.unsubscribe(subscriber, filter: filter)
        case .unsubscribeAll(let subscriber, let filters):
            self.unsubscribeAll(subscriber, filters: filters)
        case .replace(let old, let new, let filters):
            self.replace(old, with: new, filters: filters)
        case .setAvailable(let subscriber, let available):
            self.setAvailable(subscriber, available)
        }
    }
}

/// The subscription index as its writers keep it, and the changes that not every loop's copy has
/// applied yet (DESIGN §4 rule 2: no global lock while publishing).
///
/// Subscribing is rare next to publishing, so the index is kept once per event loop: a publish
/// matches against its own loop's copy, which only that loop touches, and takes no lock. Writers
/// (SUBSCRIBE, UNSUBSCRIBE, a session that ends or moves) change the journal's own index under the
/// router's lock and append the change here with a version; each loop's copy catches up by
/// replaying the changes after the version it has, in order, before it matches a publish. So a
/// change that was recorded before a SUBACK went out is seen by every publish that starts after
/// it, on any loop.
///
/// A change is kept until every copy has fetched it. Copies are named by a small number that the
/// journal hands out (``addReplica()``).
///
/// A value type with no lock of its own: the router keeps it in a `Mutex`.
package struct SubscriptionJournal<Subscriber: Hashable & Sendable>: Sendable {
    /// The writers' index: it answers the admin queries and the rare publish that is not on an
    /// event loop, and seeds the copy of a loop seen for the first time.
    package private(set) var index = SubscriptionIndex<Subscriber>()
    /// The version of the last change recorded; 0 before the first.
    package private(set) var version: UInt64 = 0
    /// Changes not every copy has fetched; `pending[i]` has version `oldestPending + i`.
    private var pending: [SubscriptionChange<Subscriber>] = []
    private var oldestPending: UInt64 = 1
    /// The version each copy has fetched up to, by replica number.
    private var fetched: [UInt64] = []
    /// Subscriptions per distinct filter, kept only when a remote route needs to know which
    /// filters this node holds (``RemoteRoute``).
    private var interest: [String: Int]?
    /// Filters whose first subscription appeared (true) or whose last went away (false) since the
    /// last ``takeInterestChanges()``, in order.
    private var interestChanges: [(filter: String, added: Bool)] = []

    /// - Parameter tracksInterest: count subscriptions per distinct filter, for a remote route.
    package init(tracksInterest: Bool = false) {
        self.interest = tracksInterest ? [:] : nil
    }

    /// The interest changes since the last call, in the order they happened.
    package mutating func takeInterestChanges() -> [(filter: String, added: Bool)] {
        guard !self.interestChanges.isEmpty else { return [] }
        defer { self.interestChanges = [] }
        return self.interestChanges
    }

    private mutating func countInterest(_ filter: String, by delta: Int) {
        guard self.interest != nil else { return }
        let count = self.interest![filter, default: 0] + delta
        if count <= 0 {
            self.interest![filter] = nil
            self.interestChanges.append((filter, false))
        } else {
            self.interest![filter] = count
            if count == 1, delta > 0 { self.interestChanges.append((filter, true)) }
        }
    }

    /// How many changes wait for at least one copy.
    package var pendingCount: Int { self.pending.count }

    // MARK: - Writing

    /// ``SubscriptionIndex/subscribe(_:filter:options:)``, recorded.
    @discardableResult
    package mutating func subscribe(_ subscriber: Subscriber, filter: String, options: SubscriptionOptions) -> Bool {
        let replaced = self.index.subscribe(subscriber, filter: filter, options: options)
        if !replaced { self.countInterest(filter, by: 1) }
        self.record(.subscribe(subscriber, filter: filter, options: options))
        return replaced
    }

    /// ``SubscriptionIndex/unsubscribe(_:filter:)``, recorded when it removed something.
    @discardableResult
    package mutating func unsubscribe(_ subscriber: Subscriber, filter: String) -> Bool {
        guard self.index.unsubscribe(subscriber, filter: filter) else {
            return false
        }
        self.countInterest(filter, by: -1)
        self.record(.unsubscribe(subscriber, filter: filter))
        return true
    }

    /// ``SubscriptionIndex/unsubscribeAll(_:filters:)``, recorded.
    package mutating func unsubscribeAll(_ subscriber: Subscriber, filters: some Collection<String>) {
        let wasUnavailable = self.index.unavailable.contains(subscriber)
        guard !filters.isEmpty || wasUnavailable else {
            return
        }
        // ``SubscriptionIndex/unsubscribeAll(_:filters:)`` filter by filter, to count the interest.
        for filter in filters where self.index.unsubscribe(subscriber, filter: filter) {
            self.countInterest(filter, by: -1)
        }
        self.index.setAvailable(subscriber, true)
        self.record(.unsubscribeAll(subscriber, filters: Array(filters)))
    }

    /// ``SubscriptionIndex/replace(_:with:filters:)``, recorded.
    package mutating func replace(_ old: Subscriber, with new: Subscriber, filters: some Collection<String>) {
        for filter in self.index.replace(old, with: new, filters: filters) {
            self.countInterest(filter, by: -1)
        }
        self.record(.replace(old, with: new, filters: Array(filters)))
    }

    /// ``SubscriptionIndex/setAvailable(_:_:)``, recorded when it changed the mark.
    package mutating func setAvailable(_ subscriber: Subscriber, _ available: Bool) {
        guard self.index.unavailable.contains(subscriber) == available else {
            return
        }
        self.index.setAvailable(subscriber, available)
        self.record(.setAvailable(subscriber, available))
    }

    /// A turn of a shared group outside a publish, on the writers' index (see
    /// ``SubscriptionIndex/takeSharedTurn(filter:topic:)``). Each copy keeps its own rotation, so
    /// this changes nothing the copies replay.
    package mutating func takeSharedTurn(filter: String, topic: String) -> SubscriptionMatch<Subscriber>? {
        self.index.takeSharedTurn(filter: filter, topic: topic)
    }

    /// Matches a publish on the writers' index, for a publish that is not on an event loop with a copy.
    package mutating func match(topic: String, publisher: Subscriber?) -> [SubscriptionMatch<Subscriber>] {
        self.index.match(topic: topic, publisher: publisher)
    }

    private mutating func record(_ change: SubscriptionChange<Subscriber>) {
        self.version += 1
        // With no copy yet, nobody will ask for the change: the first copy starts from `index`.
        guard !self.fetched.isEmpty else {
            self.oldestPending = self.version + 1
            return
        }
        self.pending.append(change)
    }

    // MARK: - Copies

    /// Registers a new copy. Returns its number, and the index and version it starts from (the
    /// index is copied on write, so this is cheap until either side changes).
    package mutating func addReplica() -> (replica: Int, index: SubscriptionIndex<Subscriber>, version: UInt64) {
        self.fetched.append(self.version)
        return (self.fetched.count - 1, self.index, self.version)
    }

    /// The changes after `version` for copy `replica`, which applies them right away: they count as
    /// applied, and those every copy has now fetched are forgotten.
    package mutating func fetch(replica: Int, after version: UInt64) -> ArraySlice<SubscriptionChange<Subscriber>> {
        precondition(version >= self.oldestPending - 1, "Internal inconsistency: a copy missed changes")
        let start = Int(version + 1 - self.oldestPending)
        let changes = self.pending[start...]
        self.fetched[replica] = self.version
        self.forgetFetched()
        return changes
    }

    private mutating func forgetFetched() {
        let everyone = self.fetched.min() ?? self.version
        let forgettable = Int(everyone + 1 - self.oldestPending)
        guard forgettable > 0 else {
            return
        }
        if forgettable == self.pending.count {
            self.pending.removeAll(keepingCapacity: self.pending.capacity <= 1024)
        } else {
            self.pending.removeFirst(forgettable)
        }
        self.oldestPending += UInt64(forgettable)
    }
}
