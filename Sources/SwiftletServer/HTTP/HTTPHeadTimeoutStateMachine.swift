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

/// The request-head deadline of one HTTP/1.1 connection, as data (DESIGN §9, "HTTP header time").
///
/// A connection must deliver a complete request head within ``timeout`` of becoming active, and
/// within ``timeout`` of the end of the previous response. Otherwise the server answers
/// `408 Request Timeout` and closes (RFC 9110 §15.5.9). This bounds slowloris connections that
/// trickle a head one byte at a time, and idle keep-alive connections.
///
/// The machine owns the deadline; the handler owns the one timer on the event loop and only does
/// what the returned ``Action`` says. Timers are re-armed lazily (STYLE §2.8): a request head does
/// not cancel the pending timer, it only changes the state, and a timer that fires early
/// reschedules itself for the current deadline. Times are passed in as `NIODeadline`s, so tests
/// drive the machine with any instants they like.
package struct HTTPHeadTimeoutStateMachine: Sendable {
    /// What the handler must do after an event.
    package enum Action: Equatable, Sendable {
        /// Nothing.
        case none
        /// Schedule the (single) timer to fire at `deadline`.
        case scheduleTimer(deadline: NIODeadline)
        /// Cancel the pending timer.
        case cancelTimer
        /// Send `408 Request Timeout` with `Connection: close`, then close the connection.
        case sendRequestTimeoutAndClose
    }

    private enum State: Equatable, Sendable {
        /// The connection is not active yet.
        case inactive
        /// Waiting for the next request head, which must be complete before `deadline`.
        case waitingForHead(deadline: NIODeadline)
        /// A request is being served; no head deadline runs until its response has ended.
        case handlingRequest
        /// Closed or closing: the deadline no longer matters.
        case closed
    }

    /// How long a client may take to send a complete request head.
    package let timeout: TimeAmount

    private var state: State = .inactive

    /// When the timer currently scheduled on the event loop fires, or `nil` if none is.
    private var scheduledTimer: NIODeadline?

    /// - Parameter timeout: How long a client may take to send a complete request head.
    package init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    /// The connection became active (or the handler was added to an active one).
    package mutating func connectionActive(now: NIODeadline) -> Action {
        guard case .inactive = self.state else { return .none }
        return self.waitForHead(deadline: now + self.timeout)
    }

    /// A complete request head arrived. The pending timer stays; it finds nothing to do.
    package mutating func requestHeadReceived() -> Action {
        if case .waitingForHead = self.state {
            self.state = .handlingRequest
        }
        return .none
    }

    /// The response to the current request is complete.
    ///
    /// - Parameters:
    ///   - now: The current time.
    ///   - keepAlive: Whether the connection stays open for another request.
    package mutating func responseCompleted(now: NIODeadline, keepAlive: Bool) -> Action {
        switch self.state {
        case .closed:
            return .none
        case .inactive, .waitingForHead, .handlingRequest:
            guard keepAlive else { return self.close() }
            return self.waitForHead(deadline: now + self.timeout)
        }
    }

    /// The timer fired.
    package mutating func timerFired(now: NIODeadline) -> Action {
        self.scheduledTimer = nil
        switch self.state {
        case .waitingForHead(let deadline):
            if now >= deadline {
                self.state = .closed
                return .sendRequestTimeoutAndClose
            }
            // The deadline moved since this timer was armed: fire again for the rest.
            self.scheduledTimer = deadline
            return .scheduleTimer(deadline: deadline)
        case .inactive, .handlingRequest, .closed:
            return .none
        }
    }

    /// The connection closed, or the handler left the pipeline.
    package mutating func connectionClosed() -> Action {
        self.close()
    }

    private mutating func waitForHead(deadline: NIODeadline) -> Action {
        self.state = .waitingForHead(deadline: deadline)
        // A pending timer fires no later than the new deadline, because deadlines only move later;
        // it will reschedule itself then.
        guard self.scheduledTimer == nil else { return .none }
        self.scheduledTimer = deadline
        return .scheduleTimer(deadline: deadline)
    }

    private mutating func close() -> Action {
        self.state = .closed
        guard self.scheduledTimer != nil else { return .none }
        self.scheduledTimer = nil
        return .cancelTimer
    }
}
