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

/// A violation of RFC 6455 or RFC 7692 by the peer, with the close code to fail the connection
/// with (RFC 6455 §7.1.7).
package struct WebSocketProtocolError: Error, Hashable, Sendable {
    /// The status code to send in the close frame before closing the connection.
    package var closeCode: WebSocketCloseCode
    /// What went wrong, for the log line. Not meant for the peer, although it holds no secrets.
    package var message: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - closeCode: The status code to close with.
    ///   - message: What went wrong.
    package init(closeCode: WebSocketCloseCode, message: String) {
        self.closeCode = closeCode
        self.message = message
    }

    /// A 1002 error: the peer broke a rule of the framing protocol.
    package static func protocolError(_ message: String) -> WebSocketProtocolError {
        WebSocketProtocolError(closeCode: .protocolError, message: message)
    }

    /// A 1007 error: a text payload or a close reason is not valid UTF-8.
    package static func invalidUTF8(_ message: String) -> WebSocketProtocolError {
        WebSocketProtocolError(closeCode: .invalidFramePayloadData, message: message)
    }

    /// A 1009 error: a frame or a message is over its configured limit.
    package static func tooBig(_ message: String) -> WebSocketProtocolError {
        WebSocketProtocolError(closeCode: .messageTooBig, message: message)
    }
}

extension WebSocketProtocolError: CustomStringConvertible {
    package var description: String {
        "WebSocket protocol error \(self.closeCode): \(self.message)"
    }
}
