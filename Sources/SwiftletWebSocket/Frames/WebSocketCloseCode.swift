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

/// A WebSocket close status code (RFC 6455 §7.4).
///
/// A struct over the raw value rather than an enum: a peer may send any code in 3000-4999, and
/// those must round-trip unchanged.
package struct WebSocketCloseCode: RawRepresentable, Hashable, Sendable {
    /// The code as it is on the wire, big-endian in the first two bytes of a close payload.
    package var rawValue: UInt16

    /// Creates a close code from its wire value. Any value is representable; use
    /// ``isValidOnWire`` to decide whether a peer may send it.
    package init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// 1000: the purpose for which the connection was established has been fulfilled.
    package static let normalClosure = WebSocketCloseCode(rawValue: 1000)
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    package static let goingAway = WebSocketCloseCode(rawValue: 1001)
    /// 1002: the endpoint is terminating the connection due to a protocol error.
    package static let protocolError = WebSocketCloseCode(rawValue: 1002)
    /// 1003: the endpoint received a type of data it cannot accept (for Swiftlet: text messages).
    package static let unsupportedData = WebSocketCloseCode(rawValue: 1003)
    /// 1007: a message's data is not consistent with its type (for example non-UTF-8 text).
    package static let invalidFramePayloadData = WebSocketCloseCode(rawValue: 1007)
    /// 1008: a message violates the endpoint's policy.
    package static let policyViolation = WebSocketCloseCode(rawValue: 1008)
    /// 1009: a frame or message is too big to process.
    package static let messageTooBig = WebSocketCloseCode(rawValue: 1009)
    /// 1011: the server met an unexpected condition that prevented it from fulfilling the request.
    package static let internalServerError = WebSocketCloseCode(rawValue: 1011)

    /// Whether a peer may put this code in a close frame (RFC 6455 §7.4.1, §7.4.2).
    ///
    /// Allowed: 1000-1003, 1007-1011 (1010 is client-only in meaning, 1011 server-only, but both
    /// are legal on the wire; 1012-1014 are IANA-registered since, yet RFC 6455 does not define
    /// them, and the conformance checker expects them refused) and 3000-4999 (registered and
    /// private use). Invalid: below 1000 (§7.4.2: "not used"), 1004 (reserved), 1005, 1006 and
    /// 1015 (§7.4.1: "MUST NOT be set as a status code in a Close control frame by an endpoint"),
    /// and 1012-2999 (reserved for future revisions of the protocol and for extensions).
    package var isValidOnWire: Bool {
        switch self.rawValue {
        case 1000...1003, 1007...1011, 3000...4999: true
        default: false
        }
    }
}

extension WebSocketCloseCode: CustomStringConvertible {
    package var description: String {
        String(self.rawValue)
    }
}
