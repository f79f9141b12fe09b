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

/// When returning malloc's free memory to the system is worth a `malloc_trim`, as data.
///
/// glibc keeps the memory a process frees in its arenas for reuse, so a burst (queued messages
/// freed together) leaves the broker's resident size at its peak. `malloc_trim(0)` hands the whole
/// free pages back (`madvise(MADV_DONTNEED)`), but it is not free: it walks every arena's free
/// chunks holding that arena's lock, so threads allocating from it wait, and the pages it gives
/// back fault in again, zeroed, when they are reused. So it runs only when both hold:
///
/// - malloc holds at least ``threshold`` bytes in free chunks (`mallinfo2`'s `fordblks`); below
///   that, what a trim could give back is small next to the broker's own working set, and the
///   normal churn of connection buffers and in-flight messages stays under it;
/// - the resident size rose by at least ``threshold`` above its lowest point since the last trim.
///   A trimmed page stays counted as free in `fordblks` (the chunk is still in malloc's bins), and
///   becomes resident again only when malloc hands it out and it is written, which raises the
///   resident size. Without that rise there is nothing left to give back, and a trim every
///   interval after one spike would only cost the walk and the locks.
///
/// Without a resident size (no `/proc`), the first condition alone decides.
package struct MemoryTrimStateMachine: Sendable {
    /// What one look at malloc and the process shows.
    package struct Sample: Equatable, Sendable {
        /// Bytes in malloc's free chunks, over all arenas.
        package var freeBytes: Int
        /// The resident set size, in bytes; nil when it cannot be read.
        package var residentBytes: Int?

        package init(freeBytes: Int, residentBytes: Int?) {
            self.freeBytes = freeBytes
            self.residentBytes = residentBytes
        }
    }

    /// What the trimmer must do after a sample.
    package enum Action: Equatable, Sendable {
        case none
        /// Call `malloc_trim(0)` (off the event loops), then report with ``trimmed(residentBytesAfter:)``.
        case trim
    }

    /// The free bytes, and the rise of the resident size, that make a trim worth it.
    package let threshold: Int
    /// The lowest resident size seen since the last trim (or since the start).
    private var residentFloor: Int?

    package init(threshold: Int) {
        precondition(threshold > 0, "the threshold must be positive")
        self.threshold = threshold
    }

    /// A periodic sample arrived.
    package mutating func sampled(_ sample: Sample) -> Action {
        if let resident = sample.residentBytes {
            self.residentFloor = min(self.residentFloor ?? resident, resident)
        }
        guard sample.freeBytes >= self.threshold else { return .none }
        if let resident = sample.residentBytes, let floor = self.residentFloor, resident - floor < self.threshold {
            return .none
        }
        return .trim
    }

    /// A trim completed; `residentBytesAfter` is the resident size right after it.
    package mutating func trimmed(residentBytesAfter: Int?) {
        self.residentFloor = residentBytesAfter
    }
}
