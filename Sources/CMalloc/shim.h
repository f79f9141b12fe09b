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
#ifndef SWIFTLET_CMALLOC_SHIM_H
#define SWIFTLET_CMALLOC_SHIM_H

// glibc's malloc statistics and trimming for SwiftletServer's MemoryTrimmer: Swift's Glibc module
// does not import <malloc.h>. Elsewhere (macOS, musl) this header declares nothing, and the
// trimmer, behind `#if canImport(Glibc)`, is compiled out.

#if defined(__linux__) && defined(__has_include)
#if __has_include(<malloc.h>)
#include <malloc.h>
#if defined(__GLIBC__)
#include <stddef.h>

/// Bytes in the free chunks of all of malloc's arenas: mallinfo2(3)'s `fordblks`.
static inline size_t swiftlet_malloc_free_bytes(void) {
#if __GLIBC_PREREQ(2, 33)
    return mallinfo2().fordblks;
#else
    // Before glibc 2.33 only mallinfo, whose int fields wrap past 2 GiB.
    return (size_t)(unsigned int)mallinfo().fordblks;
#endif
}

/// Gives the whole free pages of every arena back to the system: malloc_trim(3) with no padding.
/// Returns 1 if any memory was released.
static inline int swiftlet_malloc_trim(void) {
    return malloc_trim(0);
}

#endif
#endif
#endif

#endif
