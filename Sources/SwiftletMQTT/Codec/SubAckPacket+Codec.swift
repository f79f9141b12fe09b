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

// SUBACK: MQTT 5 §3.9, MQTT 3.1.1 §3.9.
//
// Packet identifier, properties (5.0), then one reason code (5.0) or return code (3.x) per topic
// filter of the SUBSCRIBE, in order. 3.1.1 knows only 0x00-0x02 and 0x80 [MQTT-3.9.3-2], so every
// MQTT 5 failure code is written as 0x80 there.

extension SubAckPacket {
    init(decoding body: inout ByteBuffer, version: ProtocolVersion) throws(MQTTDecodeError) {
        let packetID = try body.readMQTTUInt16("packet identifier")
        guard packetID != 0 else { throw .protocolError("SUBACK with packet identifier 0") }  // [MQTT-2.2.1-3]
        let properties = version == .v5 ? try Properties.decode(from: &body, owner: .suback) : Properties()

        var reasonCodes: [ReasonCode] = []
        reasonCodes.reserveCapacity(body.readableBytes)
        while body.readableBytes > 0 {
            let code = ReasonCode(try body.readMQTTByte("reason code"))
            if version == .v5 {
                guard code.isValid(in: .suback) else {
                    throw .protocolError("SUBACK reason code \(code) is not defined")  // MQTT 5 §3.9.3
                }
            } else {
                guard code.rawValue <= 0x02 || code == .unspecifiedError else {
                    throw .protocolError("SUBACK return code \(code) is reserved")  // [MQTT-3.9.3-2]
                }
            }
            reasonCodes.append(code)
        }
        // One code per filter, and a SUBSCRIBE has at least one [MQTT-3.8.4-6] (5.0).
        guard !reasonCodes.isEmpty else { throw .protocolError("SUBACK has no reason code") }
        self.init(packetID: packetID, reasonCodes: reasonCodes, properties: properties)
    }

    func encodedBodyLength(version: ProtocolVersion) -> Int {
        var length = 2 + self.reasonCodes.count
        if version == .v5 { length += self.properties.encodedFieldLength }
        return length
    }

    func writeBody(version: ProtocolVersion, into buffer: inout ByteBuffer) {
        buffer.writeInteger(self.packetID)
        if version == .v5 {
            self.properties.write(to: &buffer)
            for code in self.reasonCodes {
                buffer.writeInteger(code.rawValue)
            }
        } else {
            for code in self.reasonCodes {
                // [MQTT-3.9.3-2]: 0x80 is the only 3.1.1 failure code.
                buffer.writeInteger(code.isFailure ? ReasonCode.unspecifiedError.rawValue : code.rawValue)
            }
        }
    }
}
