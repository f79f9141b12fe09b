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

// API CONTRACT (implemented by the codec work):
//
// package struct MQTTDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
//     package var reasonCode: ReasonCode   // .malformedPacket, .protocolError, .packetTooLarge,
//                                          // .unsupportedProtocolVersion, .topicNameInvalid, ...
//     package var message: String
// }
//
// package struct MQTTPacketDecoder: NIOSingleStepByteToMessageDecoder {
//     package var version: ProtocolVersion?      // nil until a CONNECT was decoded; set by decoding CONNECT
//     package var maximumPacketSize: Int         // whole packet, fixed header included
//     package init(maximumPacketSize: Int, version: ProtocolVersion? = nil)
//     package mutating func decodePacket(buffer: inout ByteBuffer) throws(MQTTDecodeError) -> MQTTPacket?
// }
