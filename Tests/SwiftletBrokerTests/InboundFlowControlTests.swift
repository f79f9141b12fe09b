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
import Testing

/// The read-pausing state of one connection, on plain values (issue 11, DESIGN §4.6).
@Suite("Inbound flow control")
struct InboundFlowControlTests {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func machine(stall: TimeAmount? = .seconds(30), perTurn: Int = 4) -> InboundFlowControl {
        InboundFlowControl(configuration: .init(maxPacketsPerTurn: perTurn, writeStallTimeout: stall))
    }

    @Test("Reads pass while the session is open, the output drained and no input waits")
    func readsPass() {
        var flow = machine()
        #expect(flow.readRequested(sessionOpen: true) == .read)
        #expect(!flow.readHeld)
    }

    @Test("A read while the session opens is held and passed on once it opened")
    func readHeldWhileSessionOpens() {
        var flow = machine()
        #expect(flow.readRequested(sessionOpen: false) == .hold)
        #expect(flow.readHeld)
        #expect(flow.readMayResume(sessionOpen: false) == .hold)
        #expect(flow.readMayResume(sessionOpen: true) == .read)
        #expect(!flow.readHeld)
        // Only once: nothing is held any more.
        #expect(flow.readMayResume(sessionOpen: true) == .hold)
    }

    @Test("Backed-up output holds reads and decoding; draining reads again")
    func outputBackedUp() {
        var flow = machine()
        #expect(flow.writabilityChanged(isWritable: false, now: start, sessionOpen: true) == .armStallTimer(start + .seconds(30)))
        #expect(!flow.mayDecode(decodedThisTurn: 0))
        #expect(flow.readRequested(sessionOpen: true) == .hold)
        #expect(flow.writabilityChanged(isWritable: true, now: start + .seconds(1), sessionOpen: true) == .read)
        #expect(flow.mayDecode(decodedThisTurn: 0))
        #expect(flow.stalledSince == nil)
    }

    @Test("Draining with no read held does nothing; a repeated event changes nothing")
    func drainingWithoutHeldRead() {
        var flow = machine()
        _ = flow.writabilityChanged(isWritable: false, now: start, sessionOpen: true)
        #expect(flow.writabilityChanged(isWritable: false, now: start, sessionOpen: true) == .none)
        #expect(flow.writabilityChanged(isWritable: true, now: start, sessionOpen: true) == .none)
        #expect(flow.writabilityChanged(isWritable: true, now: start, sessionOpen: true) == .none)
    }

    @Test("A turn decodes at most maxPacketsPerTurn packets")
    func turnBudget() {
        let flow = machine(perTurn: 3)
        #expect(flow.mayDecode(decodedThisTurn: 2))
        #expect(!flow.mayDecode(decodedThisTurn: 3))
    }

    @Test("Input left after a turn schedules one more turn and holds reads until it is used up")
    func backlogSchedulesATurn() {
        var flow = machine()
        #expect(flow.turnEnded(inputExhausted: false, sessionOpen: true) == .scheduleTurn)
        #expect(flow.hasBacklog)
        // Not twice while one is queued.
        #expect(flow.turnEnded(inputExhausted: false, sessionOpen: true) == .none)
        #expect(flow.readRequested(sessionOpen: true) == .hold)
        flow.scheduledTurnStarted()
        #expect(flow.turnEnded(inputExhausted: false, sessionOpen: true) == .scheduleTurn)
        flow.scheduledTurnStarted()
        // Used up: the held read goes on.
        #expect(flow.turnEnded(inputExhausted: true, sessionOpen: true) == .read)
        #expect(!flow.hasBacklog)
    }

    @Test("Input left while the output is backed up waits for the drain, which decodes it")
    func backlogWaitsForDrain() {
        var flow = machine()
        _ = flow.writabilityChanged(isWritable: false, now: start, sessionOpen: true)
        #expect(flow.turnEnded(inputExhausted: false, sessionOpen: true) == .none)
        #expect(flow.writabilityChanged(isWritable: true, now: start, sessionOpen: true) == .decode)
        #expect(flow.turnEnded(inputExhausted: true, sessionOpen: true) == .none)
    }

    @Test("Input waiting while the session opens schedules nothing; the opening decodes it")
    func backlogWhileSessionOpens() {
        var flow = machine()
        #expect(flow.readRequested(sessionOpen: false) == .hold)
        // The handler stops decoding while the session opens, so the turn ends with input left;
        // no turn is queued for it (it would find the session still opening, again and again).
        #expect(flow.turnEnded(inputExhausted: false, sessionOpen: false) == .none)
        // The session opened and the handler decoded the rest.
        #expect(flow.turnEnded(inputExhausted: true, sessionOpen: true) == .read)
    }

    @Test("Output backed up for the whole timeout closes the connection")
    func stallCloses() {
        var flow = machine(stall: .seconds(30))
        #expect(flow.writabilityChanged(isWritable: false, now: start, sessionOpen: true) == .armStallTimer(start + .seconds(30)))
        #expect(flow.stallTimerFired(now: start + .seconds(30)) == .close)
    }

    @Test("Output that drained and backed up again gets the full timeout from the new stall")
    func stallRearmsAfterFlapping() {
        var flow = machine(stall: .seconds(30))
        _ = flow.writabilityChanged(isWritable: false, now: start, sessionOpen: true)
        _ = flow.writabilityChanged(isWritable: true, now: start + .seconds(10), sessionOpen: true)
        // The timer is still armed: backing up again does not arm a second one.
        #expect(flow.writabilityChanged(isWritable: false, now: start + .seconds(20), sessionOpen: true) == .none)
        #expect(flow.stallTimerFired(now: start + .seconds(30)) == .rearm(start + .seconds(50)))
        #expect(flow.stallTimerFired(now: start + .seconds(50)) == .close)
    }

    @Test("A stall timer firing after the output drained does nothing")
    func stallTimerAfterDrain() {
        var flow = machine(stall: .seconds(30))
        _ = flow.writabilityChanged(isWritable: false, now: start, sessionOpen: true)
        _ = flow.writabilityChanged(isWritable: true, now: start + .seconds(1), sessionOpen: true)
        #expect(flow.stallTimerFired(now: start + .seconds(30)) == .none)
        // The next stall arms a new timer.
        #expect(flow.writabilityChanged(isWritable: false, now: start + .seconds(40), sessionOpen: true) == .armStallTimer(start + .seconds(70)))
    }

    @Test("Without a stall timeout a backed-up connection is never closed")
    func noStallTimeout() {
        var flow = machine(stall: nil)
        #expect(flow.writabilityChanged(isWritable: false, now: start, sessionOpen: true) == .none)
        #expect(flow.stallTimerFired(now: start + .hours(1)) == .none)
    }
}
