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
import SwiftletWebSocket

extension ByteBuffer {
    /// The readable bytes as an array.
    var readableArray: [UInt8] {
        self.getBytes(at: self.readerIndex, length: self.readableBytes) ?? []
    }
}

extension Collection<UInt8> {
    /// `81 85 37 fa`, for failure messages.
    var hex: String {
        self.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: " ")
    }
}

/// Builds the bytes of a masked client frame, masking byte by byte as RFC 6455 §5.3 says: an
/// implementation independent of the product's word-at-a-time masking.
func clientFrame(
    fin: Bool = true,
    rsv1: Bool = false,
    opcode: WebSocketOpcode,
    payload: [UInt8],
    key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
) -> [UInt8] {
    var bytes: [UInt8] = [(fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode.rawValue]
    switch payload.count {
    case ...125:
        bytes.append(0x80 | UInt8(payload.count))
    case ...0xFFFF:
        bytes.append(0x80 | 126)
        bytes += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
    default:
        bytes.append(0x80 | 127)
        bytes += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
    }
    bytes += key
    bytes += payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
    return bytes
}

/// Turns the bytes of an unmasked server frame into the same frame as a client would send it:
/// sets the mask bit, inserts the key after the length and masks the payload.
func maskedCopy(ofServerFrame bytes: [UInt8], key: [UInt8] = [0xA1, 0x02, 0xF3, 0x44]) -> [UInt8] {
    let code = bytes[1] & 0x7F
    let lengthBytes = code == 126 ? 2 : code == 127 ? 8 : 0
    let headerLength = 2 + lengthBytes
    var masked = Array(bytes[..<headerLength])
    masked[1] |= 0x80
    masked += key
    masked += bytes[headerLength...].enumerated().map { $0.element ^ key[$0.offset % 4] }
    return masked
}

/// Feeds `chunks` one after the other into one parser and collects the frames, or the error.
func parseFrames(
    _ chunks: [[UInt8]],
    parser: WebSocketFrameParser = WebSocketFrameParser()
) -> (frames: [WebSocketFrame], error: WebSocketProtocolError?) {
    var parser = parser
    var buffer = ByteBuffer()
    var frames: [WebSocketFrame] = []
    do throws(WebSocketProtocolError) {
        for chunk in chunks {
            buffer.writeBytes(chunk)
            while let frame = try parser.next(&buffer) {
                frames.append(frame)
            }
        }
    } catch {
        return (frames, error)
    }
    return (frames, nil)
}

/// A deterministic random number generator (SplitMix64), so a failing chunking reproduces.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Cuts `bytes` into chunks of random sizes between 1 and `maxChunk`.
func randomChunks(_ bytes: [UInt8], maxChunk: Int, using generator: inout SplitMix64) -> [[UInt8]] {
    var chunks: [[UInt8]] = []
    var index = 0
    while index < bytes.count {
        let size = Int.random(in: 1...maxChunk, using: &generator)
        let end = Swift.min(index + size, bytes.count)
        chunks.append(Array(bytes[index..<end]))
        index = end
    }
    return chunks
}
