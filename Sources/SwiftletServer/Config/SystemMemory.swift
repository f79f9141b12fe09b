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
import Foundation

/// How much memory this process may use: the cgroup's limit when one is set (a container), else
/// the machine's physical memory. Read once, for defaults.
enum SystemMemory {
    static let available: Int = {
        let physical = ProcessInfo.processInfo.physicalMemory
        let machine = physical > UInt64(Int.max) ? Int.max : Int(physical)
        return min(machine, cgroupLimit ?? Int.max)
    }()

    /// `max-queued-bytes-total` by default: a quarter of ``available``, at least 64 MiB. The rest
    /// is for the broker itself, the connections' buffers (`max-outbound-bytes` each, at worst)
    /// and the packets being decoded.
    static var defaultQueuedBytesTotal: Int { max(64 << 20, available / 4) }

    /// cgroup v2 `memory.max` (a number, or `max` for none), then cgroup v1's limit; nil when none
    /// is set or neither can be read.
    private static var cgroupLimit: Int? {
        for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            // cgroup v1 writes a huge number (about Int64.max rounded to pages) for no limit.
            if let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit < 1 << 50 {
                return limit
            }
        }
        return nil
    }
}
