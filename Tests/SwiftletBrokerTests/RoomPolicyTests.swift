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
import Testing

@testable import SwiftletBroker

/// The pure parts of room policies: the batch window's overflow policies, the token bucket and
/// policy validation (DESIGN §4.5).
@Suite("Room policies")
struct RoomPolicyTests {
    private func fill(_ batch: inout RoomBatch<Int>, _ values: Range<Int>, seed: UInt64 = 1) -> Int {
        var random = SplitMix64(seed: seed)
        var dropped = 0
        for value in values { dropped += batch.add(value, isQoS0: true, using: &random) }
        return dropped
    }

    @Test("Without a ceiling every message stays, in order")
    func unlimited() {
        var batch = RoomBatch<Int>(capacity: nil, overflow: .dropNewest)
        #expect(fill(&batch, 0..<100) == 0)
        #expect(batch.take() == Array(0..<100))
        #expect(batch.isEmpty)
    }

    @Test("drop_newest keeps the first messages of the window")
    func dropNewest() {
        var batch = RoomBatch<Int>(capacity: 3, overflow: .dropNewest)
        #expect(fill(&batch, 0..<10) == 7)
        #expect(batch.take() == [0, 1, 2])
    }

    @Test("drop_oldest keeps the last messages of the window")
    func dropOldest() {
        var batch = RoomBatch<Int>(capacity: 3, overflow: .dropOldest)
        #expect(fill(&batch, 0..<10) == 7)
        #expect(batch.take() == [7, 8, 9])
    }

    @Test("sample keeps `capacity` messages in publish order, each about equally likely")
    func sample() {
        var seen = [Int](repeating: 0, count: 20)
        let trials = 4000
        for trial in 0..<trials {
            var batch = RoomBatch<Int>(capacity: 5, overflow: .sample)
            #expect(fill(&batch, 0..<20, seed: UInt64(trial) &+ 1) == 15)
            let kept = batch.take()
            #expect(kept.count == 5)
            #expect(kept == kept.sorted())
            for value in kept { seen[value] += 1 }
        }
        // Each of the 20 is kept with probability 5/20: 1000 of 4000 trials, give or take.
        for count in seen { #expect((800...1200).contains(count), "inclusion count \(count) of \(seen)") }
    }

    @Test("QoS 1 and 2 messages are neither dropped nor counted against the ceiling")
    func acknowledgedMessagesPass() {
        var batch = RoomBatch<Int>(capacity: 1, overflow: .dropOldest)
        var random = SplitMix64(seed: 7)
        #expect(batch.add(0, isQoS0: true, using: &random) == 0)
        #expect(batch.add(1, isQoS0: false, using: &random) == 0)
        #expect(batch.add(2, isQoS0: true, using: &random) == 1)  // pushes 0 out
        #expect(batch.add(3, isQoS0: false, using: &random) == 0)
        #expect(batch.take() == [1, 2, 3])
    }

    @Test("The token bucket allows a second's burst, then the rate")
    func tokenBucket() {
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var limiter = RateLimiter(rate: 10, now: start)
        var burst = 0
        for _ in 0..<15 where limiter.tryAcquire(now: start) { burst += 1 }
        #expect(burst == 10)
        let afterFiftyMilliseconds = limiter.tryAcquire(now: start + .milliseconds(50))
        let afterOneTenth = limiter.tryAcquire(now: start + .milliseconds(100))
        let againAtOneTenth = limiter.tryAcquire(now: start + .milliseconds(100))
        #expect(!afterFiftyMilliseconds)
        #expect(afterOneTenth)
        #expect(!againAtOneTenth)
        // A long pause refills one second's worth, not more.
        let later = start + .seconds(3600)
        var refilled = 0
        for _ in 0..<15 where limiter.tryAcquire(now: later) { refilled += 1 }
        #expect(refilled == 10)
    }

    @Test("Policies are validated")
    func validation() {
        #expect(RoomPolicy(filter: "live/#", batchInterval: .milliseconds(30)).problem == nil)
        #expect(RoomPolicy(filter: "live/#", rateLimit: 100).problem == nil)
        #expect(RoomPolicy(filter: "live/#", rateLimit: 100, overflow: .dropOldest).problem != nil)
        #expect(RoomPolicy(filter: "live/#", rateLimit: 100, overflow: .sample).problem != nil)
        #expect(RoomPolicy(filter: "live/#x").problem != nil)
        #expect(RoomPolicy(filter: "$share/g/live").problem != nil)
        #expect(RoomPolicy(filter: "live", batchInterval: .zero).problem != nil)
        #expect(RoomPolicy(filter: "live", rateLimit: 0).problem != nil)
        #expect(RoomPolicy(filter: "live", clientRateLimit: -1).problem != nil)
    }

    @Test("The window capacity follows the rate, at least one message")
    func windowCapacity() {
        #expect(RoomPolicy(filter: "a", batchInterval: .milliseconds(30), rateLimit: 500).windowCapacity == 15)
        #expect(RoomPolicy(filter: "a", batchInterval: .milliseconds(30), rateLimit: 1).windowCapacity == 1)
        #expect(RoomPolicy(filter: "a", batchInterval: .milliseconds(30)).windowCapacity == nil)
    }
}
