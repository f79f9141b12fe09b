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

/// One WebSocket frame as it is on the wire, less the mask (RFC 6455 §5.2).
///
/// The parser hands frames out with their payload already unmasked; the encoder never masks,
/// because a server MUST NOT mask the frames it sends (RFC 6455 §5.1). RSV2 and RSV3 are not
/// represented: no extension Swiftlet negotiates defines them, so the parser rejects them.
package struct WebSocketFrame: Hashable, Sendable {
    /// Whether this is the final fragment of a message (always true for control frames).
    package var fin: Bool
    /// RSV1: set on the first frame of a compressed message when permessage-deflate is in use
    /// (RFC 7692 §6).
    package var rsv1: Bool
    /// The frame's opcode.
    package var opcode: WebSocketOpcode
    /// The application data, unmasked.
    package var payload: ByteBuffer

    /// Creates a frame.
    ///
    /// - Parameters:
    ///   - fin: Whether this is the final fragment of a message; `true` by default.
    ///   - rsv1: The RSV1 bit; `false` by default.
    ///   - opcode: The opcode.
    ///   - payload: The unmasked payload.
    package init(fin: Bool = true, rsv1: Bool = false, opcode: WebSocketOpcode, payload: ByteBuffer) {
        self.fin = fin
        self.rsv1 = rsv1
        self.opcode = opcode
        self.payload = payload
    }
}
