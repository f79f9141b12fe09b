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

// UNSUBSCRIBE: MQTT 5 §3.10, MQTT 3.1.1 §3.10.
//
// Packet identifier, properties (5.0), then one or more topic filters. As for SUBSCRIBE, wildcard
// placement is the broker's to judge (UNSUBACK 0x8F in 5.0).

extension UnsubscribePacket {
    init(decoding body: inout ByteBuffer, version: ProtocolVersion) throws(MQTTDecodeError) {
        let packetID = try body.readMQTTUInt16("packet identifier")
        guard packetID != 0 else { throw .protocolError("UNSUBSCRIBE with packet identifier 0") }  // [MQTT-2.2.1-3]
        let properties = version == .v5 ? try Properties.decode(from: &body, owner: .unsubscribe) : Properties()

        var topicFilters: [String] = []
        while body.readableBytes > 0 {
            let filter = try body.readMQTTString("topic filter")
            guard !filter.isEmpty else { throw .malformed("UNSUBSCRIBE has an empty topic filter") }  // [MQTT-4.7.3-1]
            topicFilters.append(filter)
        }
        guard !topicFilters.isEmpty else {
            throw .protocolError("UNSUBSCRIBE has no topic filter")  // [MQTT-3.10.3-2]
        }
        self.init(packetID: packetID, topicFilters: topicFilters, properties: properties)
    }

    func encodedBodyLength(version: ProtocolVersion) -> Int {
        var length = 2
        if version == .v5 { length += self.properties.encodedFieldLength }
        for filter in self.topicFilters {
            length += MQTTWire.stringSize(filter)
        }
        return length
    }

    func writeBody(version: ProtocolVersion, into buffer: inout ByteBuffer) {
        buffer.writeInteger(self.packetID)
        if version == .v5 { self.properties.write(to: &buffer) }
        for filter in self.topicFilters {
            buffer.writeMQTTString(filter)
        }
    }
}
