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

/// When one connection reads from its socket, how much of what it read it decodes at a time, and
/// when it gives up on a client that does not read what it is sent (DESIGN §4.6, §9).
///
/// Every packet a client sends may make the broker write: a PINGRESP, a PUBACK, a SUBACK. A client
/// that sends and never reads would make those replies pile up without bound, so the input is
/// tied to the output: while the connection's unflushed output is above its high-water mark (the
/// channel is not writable) nothing more is decoded and the socket is not read; past
/// `writeStallTimeout` in that state the connection is closed. One read (a socket read of at most
/// 64 KiB, or one inflated WebSocket message of up to 1 MiB) may hold thousands of packets, so
/// they are decoded in turns of at most `maxPacketsPerTurn`, each after the loop polled its
/// sockets again: one client cannot monopolise its event loop.
///
/// A plain value: the handler feeds it events and runs the actions it returns (STYLE §8.1);
/// timers are data (STYLE §8.8): it holds when the stall began and answers what a firing timer means.
package struct InboundFlowControl: Sendable {
    package struct Configuration: Sendable, Hashable {
        /// Packets decoded per turn before the rest waits for the loop to serve its other connections.
        package var maxPacketsPerTurn: Int
        /// How long the output may stay above its high-water mark before the connection is closed;
        /// nil never closes.
        package var writeStallTimeout: TimeAmount?

        package init(maxPacketsPerTurn: Int = 1024, writeStallTimeout: TimeAmount? = .seconds(30)) {
            precondition(maxPacketsPerTurn > 0, "a turn must decode at least one packet")
            self.maxPacketsPerTurn = maxPacketsPerTurn
            self.writeStallTimeout = writeStallTimeout
        }
    }

    /// What to do with a `read` travelling towards the socket.
    package enum ReadAction: Sendable, Hashable {
        /// Pass it on: the socket may be read.
        case read
        /// Hold it: it is passed on once decoding may go on (``ResumeAction/read``).
        case hold
    }

    /// What to do once a turn of decoding ended.
    package enum TurnEndAction: Sendable, Hashable {
        /// Nothing: the input is used up and no read is held, or the output must drain first.
        case none
        /// The input is used up and a read was held: read the socket now.
        case read
        /// Input is left and the output can take more: decode the next turn once the loop has
        /// served its other connections.
        case scheduleTurn
    }

    /// What to do when the channel's writability changed.
    package enum WritabilityAction: Sendable, Hashable {
        case none
        /// The output backed up: close the connection if it is still backed up at this deadline.
        case armStallTimer(NIODeadline)
        /// The output drained and input is left: decode the next turn now.
        case decode
        /// The output drained and a read was held: read the socket now.
        case read
    }

    /// What a firing stall timer means.
    package enum StallTimerAction: Sendable, Hashable {
        case none
        /// The output drained and backed up again since the timer was armed: check again then.
        case rearm(NIODeadline)
        /// The output has been backed up for the whole timeout: close the connection.
        case close
    }

    package let configuration: Configuration
    /// The channel's writability as its events last told it.
    package private(set) var isWritable = true
    /// Decoded input is left over from the last turn (more than one turn's worth arrived).
    package private(set) var hasBacklog = false
    /// A read was held (``ReadAction/hold``) and not yet passed on.
    package private(set) var readHeld = false
    /// A turn is queued on the loop (``TurnEndAction/scheduleTurn``) and has not run yet.
    private var turnScheduled = false
    /// When the output last went above its high-water mark; nil while it is below.
    package private(set) var stalledSince: NIODeadline?
    private var stallTimerArmed = false

    package init(configuration: Configuration = Configuration(), isWritable: Bool = true) {
        self.configuration = configuration
        self.isWritable = isWritable
    }

    /// Whether the current turn may decode one more packet after `decodedThisTurn`.
    package func mayDecode(decodedThisTurn: Int) -> Bool {
        isWritable && decodedThisTurn < configuration.maxPacketsPerTurn
    }

    /// A `read` is on its way to the socket. `sessionOpen` is false while the connection waits for
    /// its session (packets pipelined behind CONNECT wait in the socket, not in memory).
    package mutating func readRequested(sessionOpen: Bool) -> ReadAction {
        guard sessionOpen, isWritable, !hasBacklog else {
            readHeld = true
            return .hold
        }
        readHeld = false
        return .read
    }

    /// Something other than this machine held reading (the session was opening) and has let go:
    /// read now if a read is held and nothing else holds it.
    package mutating func readMayResume(sessionOpen: Bool) -> ReadAction {
        guard readHeld, sessionOpen, isWritable, !hasBacklog else { return .hold }
        readHeld = false
        return .read
    }

    /// A queued turn is about to run.
    package mutating func scheduledTurnStarted() {
        turnScheduled = false
    }

    /// A turn of decoding ended. `inputExhausted` is true when the decoder needs more bytes for
    /// its next packet (nothing decodable is left), false when the turn stopped at its budget or
    /// because the output backed up.
    package mutating func turnEnded(inputExhausted: Bool, sessionOpen: Bool) -> TurnEndAction {
        hasBacklog = !inputExhausted
        if hasBacklog {
            // Backed up: the writability event decodes the next turn once the output drained.
            // Session opening: the handler decodes the rest once it opened.
            guard isWritable, sessionOpen, !turnScheduled else { return .none }
            turnScheduled = true
            return .scheduleTurn
        }
        return readMayResume(sessionOpen: sessionOpen) == .read ? .read : .none
    }

    /// The channel's writability changed (its unflushed output crossed a water mark).
    package mutating func writabilityChanged(isWritable: Bool, now: NIODeadline, sessionOpen: Bool) -> WritabilityAction {
        guard isWritable != self.isWritable else { return .none }
        self.isWritable = isWritable
        if !isWritable {
            stalledSince = now
            guard let timeout = configuration.writeStallTimeout, !stallTimerArmed else { return .none }
            stallTimerArmed = true
            return .armStallTimer(now + timeout)
        }
        stalledSince = nil
        if hasBacklog {
            // A scheduled turn may already be queued; it decodes too, which is harmless: a turn
            // ends as soon as there is nothing to decode.
            return .decode
        }
        return readMayResume(sessionOpen: sessionOpen) == .read ? .read : .none
    }

    /// The stall timer armed by ``WritabilityAction/armStallTimer(_:)`` fired.
    package mutating func stallTimerFired(now: NIODeadline) -> StallTimerAction {
        stallTimerArmed = false
        guard let since = stalledSince, let timeout = configuration.writeStallTimeout else { return .none }
        let deadline = since + timeout
        guard now >= deadline else {
            stallTimerArmed = true
            return .rearm(deadline)
        }
        return .close
    }
}
