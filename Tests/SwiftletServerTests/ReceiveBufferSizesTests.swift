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
import NIOCore
import Testing

@testable import SwiftletServer

@Suite("Receive buffer sizes")
struct ReceiveBufferSizesTests {
    @Test("Decides as NIO's AdaptiveRecvByteBufferAllocator does, read after read")
    func sameAsAdaptive() {
        var ours = ReceiveBufferSizes(minimum: 64, initial: 256, maximum: 64 * 1024)
        var nio = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 64 * 1024)
        // Full reads that grow it to the maximum, small ones that shrink it to the minimum, and
        // everything in between, in a fixed pseudo-random order.
        var reads = [Int](repeating: 65_536, count: 12) + [Int](repeating: 1, count: 30)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let size = Int(truncatingIfNeeded: state >> 33) % 70_000
            reads.append(size)
        }
        for read in reads {
            #expect(ours.nextBufferSize() == nio.nextBufferSize())
            #expect(ours.buffer(allocator: ByteBufferAllocator()).capacity == nio.buffer(allocator: ByteBufferAllocator()).capacity)
            #expect(ours.record(actualReadBytes: read) == nio.record(actualReadBytes: read))
        }
    }

    @Test("Small enough for an existential to hold it inline, without a heap box per channel")
    func fitsInline() {
        // An existential container holds up to three words inline.
        #expect(MemoryLayout<ReceiveBufferSizes>.size <= 3 * MemoryLayout<Int>.size)
    }
}
