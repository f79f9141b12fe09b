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

/// The timers a connection arms only now and then: the write-stall timer while its output is
/// backed up (``InboundFlowControl``), the linger timer of a close with a reason, and the token
/// expiry and notice timers of a token client (MQTTConnectionHandler+Tokens.swift).
///
/// A separate object, made the first time one of them is armed
/// (``MQTTConnectionHandler/occasional``): an idle connection of a plain client never arms any,
/// and four empty timer slots and their flags were about 100 bytes in each of them.
final class OccasionalTimers {
    /// Closes the connection when its output stays backed up.
    var stall: Scheduled<Void>?
    /// Closes a lingering connection that the client does not close.
    var linger: Scheduled<Void>?
    /// Closes a token client's connection when its earliest token expires.
    var tokenExpiry: Scheduled<Void>?
    /// Sends `$SYS/tokenExpireNotice` ahead of that expiry.
    var tokenNotice: Scheduled<Void>?
    /// The notice timer fired: the earliest token expires within the notice lead time.
    var tokenNoticeDue = false
    /// The client was told on `$SYS/tokenExpireNotice`: once per set of grants.
    var tokenExpiryNoticed = false
}

@available(*, unavailable)
extension OccasionalTimers: Sendable {}
