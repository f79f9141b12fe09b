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
import Testing

@Suite("Malformed and forbidden input")
struct MalformedPacketTests {
    @Test("refused with its reason code", arguments: MalformedFixture.all)
    func refused(_ fixture: MalformedFixture) {
        var decoder = MQTTPacketDecoder(maximumPacketSize: fixture.maximumPacketSize, version: fixture.version)
        let outcome = feed([fixture.bytes], to: &decoder)
        #expect(outcome.error?.reasonCode == fixture.expected, "\(outcome.error.map { "\($0)" } ?? "no error")")
    }

    @Test("refused with the same reason code when fed one byte at a time", arguments: MalformedFixture.all)
    func refusedDripFed(_ fixture: MalformedFixture) {
        var decoder = MQTTPacketDecoder(maximumPacketSize: fixture.maximumPacketSize, version: fixture.version)
        let outcome = feed(bytewise(fixture.bytes), to: &decoder)
        #expect(outcome.error?.reasonCode == fixture.expected, "\(outcome.error.map { "\($0)" } ?? "no error")")
    }

    @Test("error descriptions name the reason code")
    func description() {
        let error = MQTTDecodeError.packetTooLarge(size: 11, maximum: 10)
        #expect(error.reasonCode == .packetTooLarge)
        #expect(error.description.contains("0x95"))
        #expect(MQTTDecodeError.malformed("x").reasonCode == .malformedPacket)
        #expect(MQTTDecodeError.protocolError("x").reasonCode == .protocolError)
        #expect(MQTTDecodeError.unsupportedProtocolVersion("x").reasonCode == .unsupportedProtocolVersion)
        #expect(MQTTDecodeError.topicNameInvalid("x").reasonCode == .topicNameInvalid)
        #expect(MQTTDecodeError.topicFilterInvalid("x").reasonCode == .topicFilterInvalid)
        #expect(MQTTDecodeError.clientIdentifierNotValid("x").reasonCode == .clientIdentifierNotValid)
    }
}
