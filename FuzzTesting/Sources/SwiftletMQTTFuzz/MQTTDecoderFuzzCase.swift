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
import SwiftletMQTT

/// The MQTT decoder fuzz case (issue 14): one byte stream decoded incrementally, in every version.
///
/// Input: a mode byte (bits 0-1: a server awaiting CONNECT, or a decoder preset to 3.1, 3.1.1 or
/// 5.0; bits 2-3: the maximum packet size), two bytes that choose the chunk lengths, then the
/// stream. What must hold:
/// - the decoder never traps, whatever the stream;
/// - the stream decodes to the same packets and the same error whole and in chunks: a packet may
///   not depend on where the socket reads happened to end;
/// - every packet decoded survives a round trip: `decode(encode(p)) == p`, and `encode` writes
///   exactly `encodedSize(p)` bytes. The decoder keeps only what the version can carry, so a packet
///   it produced is already "as the version can carry it" (see RoundTripTests' `carried(by:)`).
package enum MQTTDecoderFuzzCase {
    /// The decoder states a stream can start in; the CONNECT-first one is where a server starts.
    private static let versions: [ProtocolVersion?] = [nil, .v3_1, .v3_1_1, .v5]
    /// Small limits reach the "too large" paths with short inputs; 1 MiB is the broker's default.
    private static let maximumPacketSizes = [1 << 20, 64, 300, 4096]

    /// Checks one input; throws when a property does not hold.
    package static func check(_ data: [UInt8]) throws(FuzzFailure) {
        var input = FuzzInput(data)
        let mode = input.byte()
        let version = Self.versions[Int(mode & 0b11)]
        let maximumPacketSize = Self.maximumPacketSizes[Int(mode >> 2 & 0b11)]
        let (first, second) = (input.byte(), input.byte())
        let stream = input.rest()

        let whole = Self.decode([stream[...]], version: version, maximumPacketSize: maximumPacketSize)
        let chunked = Self.decode(
            fuzzChunks(stream, first: first, second: second),
            version: version,
            maximumPacketSize: maximumPacketSize
        )
        try fuzzCheck(
            whole.packets.map(\.packet) == chunked.packets.map(\.packet),
            "whole and chunked decoding gave different packets"
        )
        try fuzzCheck(whole.error == chunked.error, "whole: \(String(describing: whole.error)), chunked: \(String(describing: chunked.error))")

        for (packet, packetVersion) in whole.packets {
            try Self.checkRoundTrip(packet, version: packetVersion)
        }
    }

    /// Builds an input: the seed corpus writes the unit tests' fixtures through this.
    ///
    /// - Parameters:
    ///   - version: `nil` for a server awaiting CONNECT, else the decoder's preset version.
    ///   - stream: The bytes to decode, fed whole and in chunks of `chunkLengths`.
    package static func input(version: ProtocolVersion?, chunkLengths: (UInt8, UInt8) = (0, 6), stream: [UInt8]) -> [UInt8] {
        let mode = UInt8(Self.versions.firstIndex(of: version)!)
        return [mode, chunkLengths.0, chunkLengths.1] + stream
    }

    // MARK: - Decoding

    private struct Outcome {
        /// Each packet with the version it was decoded in (a CONNECT sets the version).
        var packets: [(packet: MQTTPacket, version: ProtocolVersion)] = []
        var error: MQTTDecodeError?
    }

    /// Decodes `chunks` through one cumulation buffer, as ByteToMessageHandler would.
    private static func decode(
        _ chunks: [ArraySlice<UInt8>],
        version: ProtocolVersion?,
        maximumPacketSize: Int
    ) -> Outcome {
        var decoder = MQTTPacketDecoder(maximumPacketSize: maximumPacketSize, version: version)
        var cumulation = ByteBuffer()
        var outcome = Outcome()
        for chunk in chunks {
            cumulation.writeBytes(chunk)
            do throws(MQTTDecodeError) {
                while let packet = try decoder.decodePacket(buffer: &cumulation) {
                    // A packet only decodes once the version is known: CONNECT sets it.
                    outcome.packets.append((packet, decoder.version!))
                }
            } catch {
                outcome.error = error
                return outcome
            }
        }
        return outcome
    }

    // MARK: - Round trip

    private static func checkRoundTrip(_ packet: MQTTPacket, version: ProtocolVersion) throws(FuzzFailure) {
        var buffer = ByteBuffer()
        MQTTPacketEncoder.encode(packet, version: version, into: &buffer)
        let size = MQTTPacketEncoder.encodedSize(packet, version: version)
        try fuzzCheck(
            buffer.readableBytes == size,
            "encode wrote \(buffer.readableBytes) bytes of \(packet), encodedSize says \(size)"
        )
        // A fresh decoder in the state that reads this packet: a server for CONNECT, else a
        // decoder preset to the version (which accepts both directions' packets).
        var decoder =
            if case .connect = packet { MQTTPacketDecoder() } else { MQTTPacketDecoder(version: version) }
        let decoded: MQTTPacket?
        do throws(MQTTDecodeError) {
            decoded = try decoder.decodePacket(buffer: &buffer)
        } catch {
            throw FuzzFailure("\(packet) in \(version) re-encoded to bytes its decoder refuses: \(error)")
        }
        try fuzzCheck(decoded == packet, "\(packet) in \(version) came back as \(String(describing: decoded))")
        try fuzzCheck(buffer.readableBytes == 0, "\(buffer.readableBytes) bytes left after re-decoding \(packet)")
    }
}
