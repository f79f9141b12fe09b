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
import Benchmark
import NIOCore
import SwiftletMQTT

/// PUBLISH packets per run of a decode benchmark: one read buffer full of them, as a busy
/// publisher's socket delivers them.
private let packetsPerRun = 1000

/// A room topic of the usual shape. Longer than 15 UTF-8 bytes, so unlike a very short topic it
/// does not fit a small `String` and its copy out of the buffer is one allocation.
let benchmarkRoomTopic = "rooms/lobby-0042/chat"

/// A danmaku-sized payload.
let benchmarkPayload = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64)

func decodeBenchmarks() {
    for version in [ProtocolVersion.v3_1_1, .v5] {
        // Counts the mallocs of `MQTTPacketDecoder.decodePacket(buffer:)` for `packetsPerRun` QoS 0
        // PUBLISH packets (no properties) read back to back from one buffer, on a server-side decoder
        // that has decoded its CONNECT. The payload is a slice of the buffer (no copy); the one
        // allocation per packet expected is the topic `String`.
        Benchmark(
            "Decode.PUBLISH.QoS0.\(version == .v5 ? "MQTT5" : "MQTT311")",
            configuration: .init(scalingFactor: .kilo)
        ) { benchmark in
            var decoder = serverDecoder(version: version)
            var buffer = publishPackets(version: version)
            benchmark.startMeasurement()
            var decoded = 0
            while let packet = try decoder.decodePacket(buffer: &buffer) {
                blackHole(packet)
                decoded += 1
            }
            benchmark.stopMeasurement()
            precondition(decoded == packetsPerRun, "decoded \(decoded) packets")
        }
    }
}

/// A decoder in the state the broker's is in once a client connected: version known, peer a
/// client. Made by decoding a real CONNECT.
private func serverDecoder(version: ProtocolVersion) -> MQTTPacketDecoder {
    var decoder = MQTTPacketDecoder()
    var connect = ByteBuffer()
    MQTTPacketEncoder.encode(
        .connect(ConnectPacket(version: version, cleanStart: true, keepAlive: 0, clientID: "publisher")),
        version: version, into: &connect)
    guard case .connect = try? decoder.decodePacket(buffer: &connect) else {
        fatalError("the benchmark's CONNECT did not decode")
    }
    return decoder
}

private func publishPackets(version: ProtocolVersion) -> ByteBuffer {
    var buffer = ByteBuffer()
    let packet = MQTTPacket.publish(PublishPacket(topic: benchmarkRoomTopic, payload: benchmarkPayload))
    for _ in 0..<packetsPerRun {
        MQTTPacketEncoder.encode(packet, version: version, into: &buffer)
    }
    return buffer
}
