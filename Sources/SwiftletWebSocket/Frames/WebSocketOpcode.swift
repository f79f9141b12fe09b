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

/// The opcode of a WebSocket frame (RFC 6455 §5.2, §11.8).
///
/// Only the six opcodes RFC 6455 defines exist as values: the parser rejects the reserved ones
/// (3-7 and 11-15) with 1002 before a frame is built, so code that switches over an opcode never
/// needs a default case.
package enum WebSocketOpcode: UInt8, Hashable, Sendable {
    /// A continuation frame of a fragmented message (RFC 6455 §5.4).
    case continuation = 0x0
    /// The first frame of a text message: UTF-8 (RFC 6455 §5.6).
    case text = 0x1
    /// The first frame of a binary message (RFC 6455 §5.6).
    case binary = 0x2
    /// A close frame (RFC 6455 §5.5.1).
    case close = 0x8
    /// A ping frame (RFC 6455 §5.5.2).
    case ping = 0x9
    /// A pong frame (RFC 6455 §5.5.3).
    case pong = 0xA

    /// Whether this is a control opcode: the most significant bit of the opcode is set
    /// (RFC 6455 §5.5).
    @inlinable
    package var isControl: Bool {
        self.rawValue & 0x8 != 0
    }

    /// Whether this opcode starts a new data message (text or binary).
    @inlinable
    package var startsMessage: Bool {
        self == .text || self == .binary
    }
}

extension WebSocketOpcode: CustomStringConvertible {
    package var description: String {
        switch self {
        case .continuation: "continuation"
        case .text: "text"
        case .binary: "binary"
        case .close: "close"
        case .ping: "ping"
        case .pong: "pong"
        }
    }
}
