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

/// Cheap, deterministic stand-ins for a fuzzer: any input either decodes, waits for more, or is
/// refused, never traps; and whatever decodes survives a re-encode unchanged.
@Suite("Robustness")
struct RobustnessTests {
    @Test(
        "every byte of every fixture, replaced, never crashes the decoder",
        arguments: PacketFixture.all.filter(\.decodes)
    )
    func mutatedFixtures(_ fixture: PacketFixture) throws {
        let original = fixture.bytes
        for index in original.indices {
            for replacement: UInt8 in [0x00, 0x01, 0x7F, 0x80, 0xFF, original[index] &+ 1, original[index] ^ 0x0F] {
                var bytes = original
                bytes[index] = replacement
                try Self.checkStable(bytes, decoder: fixture.makeDecoder())
            }
            // Cut short at every point, too.
            try Self.checkStable(Array(original[..<index]), decoder: fixture.makeDecoder())
        }
    }

    @Test("random bytes never crash the decoder", arguments: [nil] + ProtocolVersion.allVersions.map { Optional($0) })
    func randomBytes(_ version: ProtocolVersion?) throws {
        var random = SplitMix64(seed: 0x5EED + UInt64(version?.rawValue ?? 0))
        for _ in 0..<3000 {
            let length = Int(random.next() % 48)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if !bytes.isEmpty {
                // A plausible first byte and a remaining length that fits get past the fixed header.
                bytes[0] =
                    UInt8(truncatingIfNeeded: random.next() % 16) << 4 | UInt8(truncatingIfNeeded: random.next() % 4)
            }
            if bytes.count > 1 { bytes[1] = UInt8(bytes.count - 2) }
            try Self.checkStable(bytes, decoder: MQTTPacketDecoder(maximumPacketSize: 64, version: version))
        }
    }

    /// Decodes `bytes`; every packet that comes out must encode and decode back to itself.
    private static func checkStable(_ bytes: [UInt8], decoder: MQTTPacketDecoder) throws {
        var decoder = decoder
        let outcome = feed([bytes], to: &decoder)
        for packet in outcome.packets {
            guard let version = decoder.version else {
                Issue.record("a packet decoded without a version: \(bytes.hex)")
                return
            }
            var buffer = ByteBuffer()
            MQTTPacketEncoder.encode(packet, version: version, into: &buffer)
            #expect(buffer.readableBytes == MQTTPacketEncoder.encodedSize(packet, version: version))
            var again =
                if case .connect = packet { MQTTPacketDecoder() } else { MQTTPacketDecoder(version: version) }
            let decoded = try again.decodePacket(buffer: &buffer)
            #expect(decoded == packet, "\(bytes.hex) re-encoded as something else")
        }
    }
}

/// A small deterministic generator (Steele, Lea, Flood 2014), so failures reproduce.
private struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
