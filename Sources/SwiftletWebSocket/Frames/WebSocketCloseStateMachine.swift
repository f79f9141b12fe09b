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

/// The closing handshake of one connection (RFC 6455 §5.5.1, §7.1).
///
/// A value type with one `mutating func` per event, each returning the action to take (STYLE
/// §2.2). The connection handler owns one per connection and only switches over the actions.
///
/// ```
///          closeRequested / connectionFailed            closeReceived
///   open ─────────────────────────────────► closeSent ────────────────► closed
///     │                                                                   ▲
///     │ closeReceived (answer echoes the code)                            │
///     └────────────────────────────────────► closeReceived ───────────────┘
///                                                         connectionFailed
/// ```
///
/// The rules it carries:
/// - on receiving a Close, an endpoint that has not sent one MUST send one in response
///   (RFC 6455 §5.5.1), echoing the received status code (1000 if the peer sent none), and the
///   server then closes the TCP connection first (§7.1.1);
/// - after sending a Close, no more data frames are sent (RFC 6455 §5.5.1), and a second Close
///   is never sent;
/// - after a Close has been sent or received, incoming data is dropped: nothing may be delivered
///   to the broker once the connection is going away.
package struct WebSocketCloseStateMachine: Hashable, Sendable {
    /// Where the closing handshake stands.
    package enum State: Hashable, Sendable {
        /// Neither side has sent a Close.
        case open
        /// This side sent a Close with this code and waits for the peer's.
        case closeSent(WebSocketCloseCode?)
        /// The peer sent a Close and the answer is going out; the connection is being shut down.
        case closeReceived
        /// Both Close frames went by, or the connection failed: only the TCP shutdown remains.
        case closed
    }

    /// What to do after a Close arrived.
    package enum CloseReceivedAction: Hashable, Sendable {
        /// Send a Close with this code, then close the TCP connection (RFC 6455 §5.5.1, §7.1.1).
        case sendCloseThenShutdown(WebSocketCloseCode)
        /// This side's Close was already sent: the handshake is complete; close the TCP
        /// connection.
        case shutdown
        /// Nothing: the connection is already going away.
        case none
    }

    /// What to do when this side wants to close.
    package enum CloseRequestedAction: Hashable, Sendable {
        /// Send a Close with this code, then wait for the peer's Close (with a timeout).
        case sendClose(WebSocketCloseCode)
        /// Nothing: a Close was already sent or received.
        case none
    }

    /// What to do when the connection has to fail (RFC 6455 §7.1.7).
    package enum ConnectionFailedAction: Hashable, Sendable {
        /// Send a Close with this code, then close the TCP connection without waiting.
        case sendCloseThenShutdown(WebSocketCloseCode)
        /// A Close was already sent: close the TCP connection.
        case shutdown
    }

    /// What to do with a frame other than Close.
    package enum DataReceivedAction: Hashable, Sendable {
        /// Process it as usual.
        case process
        /// Drop it: a Close was sent or received.
        case ignore
    }

    /// The current state.
    package private(set) var state: State = .open

    /// Creates a state machine for an open connection.
    package init() {}

    /// Whether data frames may still be sent (RFC 6455 §5.5.1: not after sending a Close).
    package var canSendData: Bool {
        self.state == .open
    }

    /// A Close frame arrived from the peer.
    ///
    /// - Parameter code: Its status code, or `nil` if its payload was empty.
    /// - Returns: What to do.
    package mutating func closeReceived(code: WebSocketCloseCode?) -> CloseReceivedAction {
        switch self.state {
        case .open:
            // RFC 6455 §5.5.1: "If an endpoint receives a Close frame and did not previously send
            // a Close frame, the endpoint MUST send a Close frame in response. ... the endpoint
            // typically echos the status code it received." With no code received there is none
            // to echo; 1005 may not be sent (§7.4.1), so answer 1000.
            self.state = .closeReceived
            return .sendCloseThenShutdown(code ?? .normalClosure)
        case .closeSent:
            // RFC 6455 §7.1.1: the server closes the TCP connection once both Close frames went by.
            self.state = .closed
            return .shutdown
        case .closeReceived, .closed:
            return .none
        }
    }

    /// This side wants to close the connection (broker shutdown, MQTT DISCONNECT, kick).
    ///
    /// - Parameter code: The status code to send.
    /// - Returns: What to do.
    package mutating func closeRequested(code: WebSocketCloseCode) -> CloseRequestedAction {
        switch self.state {
        case .open:
            self.state = .closeSent(code)
            return .sendClose(code)
        case .closeSent, .closeReceived, .closed:
            // RFC 6455 §5.5.1: a Close is sent once; after receiving one, it was already answered.
            return .none
        }
    }

    /// The peer broke the protocol: _Fail the WebSocket Connection_ (RFC 6455 §7.1.7).
    ///
    /// - Parameter code: The status code from the ``WebSocketProtocolError``.
    /// - Returns: What to do.
    package mutating func connectionFailed(code: WebSocketCloseCode) -> ConnectionFailedAction {
        let previous = self.state
        self.state = .closed
        switch previous {
        case .open:
            // RFC 6455 §7.1.7: "the endpoint MAY send a Close frame with an appropriate status
            // code" before closing the connection; it does, so the peer learns why.
            return .sendCloseThenShutdown(code)
        case .closeSent, .closeReceived, .closed:
            return .shutdown
        }
    }

    /// A data frame, ping or pong arrived.
    ///
    /// - Returns: Whether to process it.
    package mutating func dataReceived() -> DataReceivedAction {
        // RFC 6455 §1.4: after sending a Close the endpoint waits for the peer's Close; what the
        // peer sent before it is of no use to a connection that is closing, so it is dropped.
        self.state == .open ? .process : .ignore
    }
}
