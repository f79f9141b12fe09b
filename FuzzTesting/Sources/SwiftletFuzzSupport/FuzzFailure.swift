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

/// A property a fuzz case checks did not hold: the code under test accepted something it should
/// not have, or two ways of doing the same thing disagreed.
///
/// Thrown rather than trapped so that the unit tests that replay committed inputs can report it as
/// a test failure; ``runFuzzCase(_:_:_:)`` turns it into a crash for libFuzzer.
package struct FuzzFailure: Error, Sendable, CustomStringConvertible {
    package var description: String

    package init(_ description: String) {
        self.description = description
    }
}

/// Throws ``FuzzFailure`` with `message` unless `condition` holds.
package func fuzzCheck(
    _ condition: @autoclosure () -> Bool,
    _ message: @autoclosure () -> String
) throws(FuzzFailure) {
    guard condition() else { throw FuzzFailure(message()) }
}

/// The body of a fuzz target's `LLVMFuzzerTestOneInput`: runs `check` on the input and traps on a
/// ``FuzzFailure``, which libFuzzer records as a crash with the input that caused it.
///
/// - Returns: 0, as libFuzzer requires of every input it should keep considering.
package func runFuzzCase(
    _ data: UnsafePointer<UInt8>?,
    _ size: Int,
    _ check: ([UInt8]) throws(FuzzFailure) -> Void
) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        try check(bytes)
    } catch {
        fatalError("fuzz property failed: \(error.description)")
    }
    return 0
}
