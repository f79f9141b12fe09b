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

/// A fuzz input read front to back: a few header bytes steer the harness (a version, limits, where
/// to split the stream), the rest is the data under test.
///
/// Every byte sequence is a valid input: a header byte past the end reads as 0. libFuzzer mutates
/// blindly, and an input it cannot even start with would waste its executions.
package struct FuzzInput: Sendable {
    private var bytes: ArraySlice<UInt8>

    package init(_ bytes: [UInt8]) {
        self.bytes = bytes[...]
    }

    /// The next header byte, or 0 when the input has run out.
    package mutating func byte() -> UInt8 {
        self.bytes.popFirst() ?? 0
    }

    /// The next two header bytes as a big-endian number.
    package mutating func uint16() -> UInt16 {
        UInt16(self.byte()) << 8 | UInt16(self.byte())
    }

    /// What is left after the header: the data under test.
    package mutating func rest() -> [UInt8] {
        defer { self.bytes = [] }
        return Array(self.bytes)
    }
}

/// Cuts `bytes` into the chunks a socket might deliver them in, so that a resumable parser is fed
/// the same stream in pieces: lengths alternate between `first + 1` and `second + 1` bytes (1 to
/// 256 each, so one-byte reads and reads across every header boundary are both reachable).
package func fuzzChunks(_ bytes: [UInt8], first: UInt8, second: UInt8) -> [ArraySlice<UInt8>] {
    var chunks: [ArraySlice<UInt8>] = []
    var start = bytes.startIndex
    var useFirst = true
    while start < bytes.endIndex {
        let length = Int(useFirst ? first : second) + 1
        let end = min(start + length, bytes.endIndex)
        chunks.append(bytes[start..<end])
        start = end
        useFirst.toggle()
    }
    return chunks
}
