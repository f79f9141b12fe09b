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

/// Why a compressed message could not be read, or zlib could not be set up.
///
/// The connection handler maps the errors to close codes (RFC 6455 §7.4.1):
/// - ``messageTooBig`` → 1009 "message too big": the inflated message passed the configured limit.
/// - ``invalidData`` → 1007 "invalid frame payload data". RFC 7692 defines no close code of its
///   own. A compressed message (RSV1 set, RFC 7692 §6) whose payload does not inflate holds data
///   "not consistent with the type of the message", 1007's definition in RFC 6455 §7.4.1; Node's `ws`
///   also closes with 1007 on an inflate error. The endpoint must _Fail the WebSocket Connection_
///   (RFC 6455 §7.1.7): the rest of the stream can no longer be read reliably.
/// - ``zlibFailure(code:)`` → 1011 "internal error": zlib could not allocate its state.
package enum DeflateError: Error, Hashable, Sendable {
    /// The inflated message would exceed the limit given to
    /// ``Inflater/inflate(_:isFinalFrameOfMessage:limit:into:)``.
    case messageTooBig
    /// The compressed data is not a valid raw DEFLATE stream, or a message ended inside a block.
    case invalidData
    /// zlib refused to initialise or failed internally; `code` is its return code (for example
    /// `Z_MEM_ERROR`, -4).
    case zlibFailure(code: Int32)
}
