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

/// What status events call one accepted connection: `{start-ms}-{n}`, the broker's start time
/// in milliseconds and a number that increases within the broker process (DESIGN §7).
///
/// Kept as its two numbers and written out only when an event or an admin query needs it: the
/// text is longer than a small string's 15 bytes, so holding it cost every idle connection a
/// 64-byte string allocation.
struct ChannelID: Hashable, Sendable, CustomStringConvertible {
    let startedAt: UInt64
    let number: UInt64

    var description: String { "\(startedAt)-\(number)" }
}
