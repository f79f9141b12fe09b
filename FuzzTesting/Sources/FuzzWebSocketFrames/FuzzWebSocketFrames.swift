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
import SwiftletFuzzSupport
import SwiftletWebSocketFuzz

// libFuzzer's entry point; the property checks live in SwiftletWebSocketFuzz, where the unit tests
// replay committed inputs through the same code (scripts/fuzz.sh websocket-frames).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebSocketFrames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    runFuzzCase(data, size, WebSocketFramesFuzzCase.check)
}
