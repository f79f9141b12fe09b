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

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT and SIGTERM, taken by one thread that waits for them with `sigwait`.
///
/// Process-directed signals go to any thread that does not block them. Blocking them in every
/// thread (the mask is inherited, so blocking in the main thread before any other thread exists is
/// enough) keeps them pending until the waiting thread takes them: none is lost to an event loop
/// thread, whatever the timing. A dispatch signal source was tried first and lost signals now and
/// then under load.
enum TerminationSignals {
    static let numbers: [Int32] = [SIGINT, SIGTERM]

    private static var set: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for number in numbers { sigaddset(&set, number) }
        return set
    }

    /// Blocks the signals in the calling thread and every thread it starts afterwards. Call it
    /// first thing in `main`, before any thread is created.
    static func block() {
        var set = Self.set
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Starts the thread that waits for the signals and calls `handler` with each one.
    static func handle(_ handler: @escaping @Sendable (Int32) -> Void) {
        let thread = Thread {
            var set = Self.set
            while true {
                var number: Int32 = 0
                if sigwait(&set, &number) == 0 { handler(number) }
            }
        }
        thread.name = "swiftlet-signals"
        thread.start()
    }
}
