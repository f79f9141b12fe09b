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
import CZlib
import NIOCore

/// A raw inflater set up directly with zlib, independent of ``Inflater``: it plays a client whose
/// inflater keeps its context from message to message (it ignores `server_no_context_takeover`,
/// which RFC 7692 allows a client to do only in the sense that it never needs to reset).
final class ReferenceInflater {
    private let stream: UnsafeMutablePointer<z_stream>

    init() {
        self.stream = .allocate(capacity: 1)
        self.stream.initialize(to: z_stream())
        let code = swiftlet_inflateInit2(self.stream, -15)
        precondition(code == Z_OK)
    }

    deinit {
        inflateEnd(self.stream)
        self.stream.deinitialize(count: 1)
        self.stream.deallocate()
    }

    /// Inflates one message's payload after appending `00 00 ff ff` (RFC 7692 §7.2.2); nil on error.
    func inflateMessage(_ payload: [UInt8]) -> [UInt8]? {
        var input = payload + [0x00, 0x00, 0xFF, 0xFF]
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        return input.withUnsafeMutableBufferPointer { input -> [UInt8]? in
            self.stream.pointee.next_in = input.baseAddress
            self.stream.pointee.avail_in = uInt(input.count)
            while true {
                let (code, produced) = chunk.withUnsafeMutableBufferPointer { chunk -> (Int32, Int) in
                    self.stream.pointee.next_out = chunk.baseAddress
                    self.stream.pointee.avail_out = uInt(chunk.count)
                    let code = inflate(self.stream, Z_SYNC_FLUSH)
                    return (code, chunk.count - Int(self.stream.pointee.avail_out))
                }
                output += chunk[..<produced]
                switch code {
                case Z_OK where self.stream.pointee.avail_in == 0 && self.stream.pointee.avail_out != 0:
                    return output
                case Z_OK:
                    continue
                case Z_BUF_ERROR, Z_STREAM_END:
                    return output
                default:
                    return nil
                }
            }
        }
    }
}

extension ByteBuffer {
    var bytes: [UInt8] { Array(self.readableBytesView) }
}

/// Test data.
enum DeflateSamples {
    static func random(count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        var bytes = [UInt8]()
        bytes.reserveCapacity(count)
        while bytes.count < count {
            withUnsafeBytes(of: generator.next()) { bytes += $0.prefix(count - bytes.count) }
        }
        return bytes
    }

    static func repetitive(count: Int) -> [UInt8] {
        let pattern = Array(#"{"topic":"room/42","from":"alice","text":"hello everyone"}"#.utf8)
        return (0..<count).map { pattern[$0 % pattern.count] }
    }

    /// Text-like bytes: repetitive with some noise, the way batched MQTT traffic looks.
    static func mixed(count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        var bytes = Self.repetitive(count: count)
        for index in stride(from: 0, to: count, by: 7) {
            bytes[index] = UInt8(truncatingIfNeeded: generator.next() % 64 + 32)
        }
        return bytes
    }
}
