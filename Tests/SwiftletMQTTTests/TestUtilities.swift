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
import SwiftletMQTT

/// What came of feeding bytes to a decoder: the packets it produced and the error that stopped it.
struct DecodeOutcome {
    var packets: [MQTTPacket] = []
    var error: MQTTDecodeError?
    /// Bytes still in the cumulation buffer at the end.
    var leftover = 0
}

/// Feeds `chunks` one after another into a cumulation buffer, as a connection handler would, and
/// decodes after each until the decoder needs more data or throws.
func feed(_ chunks: some Sequence<[UInt8]>, to decoder: inout MQTTPacketDecoder) -> DecodeOutcome {
    var outcome = DecodeOutcome()
    var cumulation = ByteBuffer()
    for chunk in chunks {
        cumulation.writeBytes(chunk)
        do throws(MQTTDecodeError) {
            while let packet = try decoder.decodePacket(buffer: &cumulation) {
                outcome.packets.append(packet)
            }
        } catch {
            outcome.error = error
            break
        }
    }
    outcome.leftover = cumulation.readableBytes
    return outcome
}

/// `bytes` cut into chunks of one byte.
func bytewise(_ bytes: [UInt8]) -> [[UInt8]] {
    bytes.map { [$0] }
}
