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
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time and memory of another process, read from Linux's /proc (proc(5)).
package struct ProcessSample: Hashable, Sendable {
    /// utime + stime, in microseconds.
    package var cpuMicroseconds: UInt64
    /// VmRSS, in KiB.
    package var residentKiB: UInt64

    /// Reads `/proc/PID/stat` and `/proc/PID/status`, or returns `nil` if either is unreadable.
    package static func read(pid: Int32) -> ProcessSample? {
        guard let stat = readFile("/proc/\(pid)/stat"), let status = readFile("/proc/\(pid)/status"),
            let ticks = Self.cpuTicks(stat: stat), let rss = Self.residentKiB(status: status)
        else { return nil }
        let ticksPerSecond = UInt64(max(1, sysconf(Int32(_SC_CLK_TCK))))
        return ProcessSample(cpuMicroseconds: ticks * 1_000_000 / ticksPerSecond, residentKiB: rss)
    }

    /// utime + stime in clock ticks: fields 14 and 15 of /proc/PID/stat (proc(5)). The command
    /// name (field 2) is in parentheses and may hold spaces, so count from the last `)`.
    package static func cpuTicks(stat: String) -> UInt64? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field N is fields[N - 3].
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        return user + system
    }

    /// The `VmRSS:` line of /proc/PID/status, in KiB.
    package static func residentKiB(status: String) -> UInt64? {
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let number = line.dropFirst("VmRSS:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first
            return number.flatMap { UInt64($0) }
        }
        return nil
    }

    private static func readFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Raises this process's soft limit of open files to its hard limit, so that thousands of client
/// sockets fit (19,000 connections need more than the usual soft limit of 1,024).
///
/// - Returns: The soft limit now in force.
@discardableResult
package func raiseOpenFileLimit() -> UInt64 {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    return UInt64(limit.rlim_cur)
}
