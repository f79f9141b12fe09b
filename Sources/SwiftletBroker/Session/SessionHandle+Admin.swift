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
import SwiftletMQTT

/// What the admin API shows of one session, read on the session's loop.
package struct SessionSnapshot: Sendable {
    package var clientID: String
    /// How the client is connected, nil while the (persistent) session is offline.
    package var connection: StatusEvent?
    /// Filter → options, as the client subscribed.
    package var subscriptions: [String: SubscriptionOptions]
    /// QoS 1/2 (and offline QoS 0) messages waiting behind the inflight window.
    package var queued: Int
    /// Messages sent and not yet acknowledged.
    package var inflight: Int
    /// Messages this session lost because its client could not keep up (DESIGN §4.6).
    package var dropped: Int

    package var isOnline: Bool { connection != nil }
}

extension SessionHandle {
    /// This session's state now. Call on eventLoop (the state is confined to it).
    package func snapshot() -> SessionSnapshot {
        eventLoop.preconditionInEventLoop()
        return SessionSnapshot(
            clientID: clientID, connection: connection?.connectInfo, subscriptions: subscriptions,
            queued: queuedCount, inflight: inflightCount, dropped: droppedCount)
    }

    /// The transport of the session's accepted connection (`tcp`, `tls`, `ws`, `wss`), nil while
    /// offline. Call on eventLoop.
    package var connectedTransport: String? {
        eventLoop.preconditionInEventLoop()
        return connection?.acceptedTransport
    }

    /// Disconnects the client for an administrative action: MQTT 5 DISCONNECT 0x98, then close;
    /// 3.1.1 just closes. The status event's reason becomes `kicked`. Returns false when the
    /// session has no connection. Call on eventLoop.
    package func kick() -> Bool {
        eventLoop.preconditionInEventLoop()
        guard let connection, connection.acceptedTransport != nil else { return false }
        connection.disconnect(reason: .administrativeAction, reasonString: "disconnected by an administrator")
        return true
    }
}
