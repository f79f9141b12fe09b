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
import SwiftletFuzzSupport
import SwiftletWebSocket
import SwiftletWebSocketFuzz
import Testing

/// The committed inputs of the `websocket-frames` and `deflate-inflater` fuzz targets (issue 14),
/// replayed without the fuzzer: their seeds, and every input that ever failed them, so that a crash
/// found once stays fixed.
@Suite("Fuzz inputs: websocket-frames, deflate-inflater")
struct FuzzInputTests {
    @Test("every committed input of websocket-frames keeps the parser's properties")
    func replayFrames() {
        Self.replay("websocket-frames", WebSocketFramesFuzzCase.check)
    }

    @Test("every committed input of deflate-inflater keeps the inflater's properties")
    func replayDeflate() {
        Self.replay("deflate-inflater", DeflateInflaterFuzzCase.check)
    }

    private static func replay(_ target: String, _ check: ([UInt8]) throws(FuzzFailure) -> Void, filePath: String = #filePath) {
        let replay = FuzzCorpus.replay(target, check, filePath: filePath)
        #expect(replay.inputs > 0, "no seeds in FuzzTesting/Corpus/\(target)")
        #expect(replay.failures.isEmpty, "\(replay.failures.joined(separator: "\n"))")
    }

    // MARK: - Seeds

    /// `SWIFTLET_WRITE_FUZZ_CORPUS=1 swift test --filter FuzzInputTests` rewrites the seeds.
    @Test("the seeds come from the frame and deflate fixtures", .enabled(if: FuzzCorpus.isWritingSeeds))
    func writeSeeds() throws {
        // The 64 KiB fixtures are over the fuzzer's input length; their lengths' encodings are in
        // the smaller ones too.
        var frames: [(name: String, bytes: [UInt8])] = (FrameFixture.valid + FrameFixture.invalid)
            .filter { $0.bytes.count <= 1024 }
            .map { ($0.name, WebSocketFramesFuzzCase.input(allowsRSV1: $0.allowsRSV1, stream: $0.bytes)) }
        frames += Self.frameStreams
        try FuzzCorpus.writeSeeds(frames, of: "websocket-frames")

        var deflate: [(name: String, bytes: [UInt8])] = DeflateFixtures.all.map {
            ($0.name, DeflateInflaterFuzzCase.input(compressed: $0.compressed))
        }
        deflate += DeflateFixtures.all.map { ("\($0.name) in frames", DeflateInflaterFuzzCase.input(frameLengths: (0, 2), compressed: $0.compressed)) }
        deflate.append(("context takeover", DeflateInflaterFuzzCase.input(compressed: DeflateFixtures.contextTakeoverMessages[1])))
        // Bit 5: compress the data first (level 6), then inflate it in frames of 3 and 17 bytes.
        for fixture in DeflateFixtures.all where !fixture.plain.isEmpty {
            deflate.append(("compress \(fixture.name)", [0b1010_0111, 2, 16] + fixture.plain))
        }
        try FuzzCorpus.writeSeeds(deflate, of: "deflate-inflater")
    }

    /// Whole conversations, which the single-frame fixtures are not: fragments with a control
    /// frame between them, a compressed message, a close; as a client sends them and as a server
    /// does.
    private static var frameStreams: [(name: String, bytes: [UInt8])] {
        let key = WebSocketMaskingKey(0x37, 0xFA, 0x21, 0x3D)
        let frames = [
            WebSocketFrame(fin: false, opcode: .text, payload: ByteBuffer(string: "Hel")),
            WebSocketFrame(opcode: .ping, payload: ByteBuffer(string: "ping")),
            WebSocketFrame(fin: false, opcode: .continuation, payload: ByteBuffer(bytes: [0x6C, 0xC3])),
            WebSocketFrame(opcode: .continuation, payload: ByteBuffer(bytes: [0xA9, 0x6F])),
            WebSocketFrame(fin: true, rsv1: true, opcode: .binary, payload: ByteBuffer(bytes: [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])),
            WebSocketFrame(opcode: .binary, payload: ByteBuffer(bytes: [0x10, 0x0C, 0x00, 0x04] + Array("MQTT".utf8) + [0x04, 0x02, 0x00, 0x3C, 0x00, 0x00])),
            WebSocketFrame(opcode: .pong, payload: ByteBuffer()),
        ]
        var masked = ByteBuffer()
        var unmasked = ByteBuffer()
        for frame in frames {
            WebSocketFrameEncoder.encodeMasked(frame, maskingKey: key, into: &masked)
            WebSocketFrameEncoder.encode(frame, into: &unmasked)
        }
        var maskedClose = ByteBuffer()
        var close = ByteBuffer()
        WebSocketFrameEncoder.encodeClose(code: .normalClosure, reason: "bye", into: &close)
        var closeFrame = close
        var parser = WebSocketFrameParser(role: .client)
        let parsedClose = try! parser.next(&closeFrame)!  // our own encoder's close frame
        WebSocketFrameEncoder.encodeMasked(parsedClose, maskingKey: key, into: &maskedClose)
        return [
            ("client conversation", WebSocketFramesFuzzCase.input(allowsRSV1: true, chunkLengths: (1, 9), stream: Array((masked.readableBytesView + maskedClose.readableBytesView)))),
            ("server conversation", WebSocketFramesFuzzCase.input(client: true, allowsRSV1: true, chunkLengths: (1, 9), stream: Array(unmasked.readableBytesView + close.readableBytesView))),
        ]
    }
}
