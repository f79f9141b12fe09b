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
import SwiftletMQTT
import SwiftletMQTTFuzz
import Testing

/// The committed inputs of the `mqtt-decoder` fuzz target (issue 14), replayed without the
/// fuzzer: its seeds, and every input that ever failed it, so that a crash found once stays fixed.
@Suite("Fuzz inputs: mqtt-decoder")
struct FuzzInputTests {
    @Test("every committed input of mqtt-decoder keeps the decoder's properties")
    func replay() {
        let replay = FuzzCorpus.replay("mqtt-decoder", MQTTDecoderFuzzCase.check)
        #expect(replay.inputs > 0, "no seeds in FuzzTesting/Corpus/mqtt-decoder")
        #expect(replay.failures.isEmpty, "\(replay.failures.joined(separator: "\n"))")
    }

    /// `SWIFTLET_WRITE_FUZZ_CORPUS=1 swift test --filter FuzzInputTests` rewrites the seeds.
    @Test("the seeds come from the codec fixtures", .enabled(if: FuzzCorpus.isWritingSeeds))
    func writeSeeds() throws {
        var seeds: [(name: String, bytes: [UInt8])] = PacketFixture.all.filter(\.decodes).map { fixture in
            let version: ProtocolVersion? = if case .connect = fixture.packet { nil } else { fixture.version }
            return ("\(fixture.version) \(fixture.name)", MQTTDecoderFuzzCase.input(version: version, stream: fixture.bytes))
        }
        // A session per version: CONNECT, then everything a client may send after it, so that
        // mutations reach the state after CONNECT in a server's decoder.
        for version in ProtocolVersion.allVersions {
            let fixtures = PacketFixture.all.filter { $0.version == version && $0.decodes }
            guard let connect = fixtures.first(where: { if case .connect = $0.packet { true } else { false } }) else { continue }
            let clientPackets = fixtures.filter { fixture in
                switch fixture.packet {
                case .publish, .puback, .pubrec, .pubrel, .pubcomp, .subscribe, .unsubscribe, .pingreq, .disconnect, .auth:
                    true
                default:
                    false
                }
            }
            let stream = connect.bytes + clientPackets.flatMap(\.bytes)
            seeds.append(("\(version) session", MQTTDecoderFuzzCase.input(version: nil, chunkLengths: (2, 40), stream: stream)))
        }
        try FuzzCorpus.writeSeeds(seeds, of: "mqtt-decoder")
    }
}
