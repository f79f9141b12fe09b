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
/// - messageTooBig → 1009 "message too big": the inflated message passed the configured limit.
/// - invalidData → 1007 "invalid frame payload data". RFC 7692 names no close code for a
///   message that does not inflate; it is payload data that is not consistent with the message's
///   type (compressed, RSV1 set), which is 1007's definition, and what Node's `ws` sends for an inflate
///   error. Either way the endpoint must _Fail the WebSocket Connection_ (RFC 6455 §7.1.7): the
///   extension's state for the message is lost.
/// - zlibFailure(code:) → 1011 "internal error": zlib could not allocate its state.
package enum DeflateError: Error, Hashable, Sendable {
    /// The inflated message would exceed the limit given to Inflater/inflate(_:isFinalFrameOfMessage:limit:into:).
    case messageTooBig
    /// The compressed data is not a valid raw DEFLATE stream, or a message ended inside a block.
    case invalidData
    /// zlib refused to initialise or failed internally; `code` is its return code (for example
    /// `Z_MEM_ERROR`, -4).
    case zlibFailure(code: Int32)
}
