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
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seconds since 1970 (UTC), for token expiry: tokens carry wall-clock times because they must
/// mean the same after a restart, unlike the monotonic `NIODeadline` the event loops use.
package enum WallClock {
    package static func now() -> UInt64 {
        UInt64(max(0, time(nil)))
    }

    /// Milliseconds since 1970 (UTC), for event timestamps.
    package static func milliseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(max(0, spec.tv_sec)) * 1000 + UInt64(max(0, spec.tv_nsec)) / 1_000_000
    }
}
