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

// UNSUBACK: MQTT 5 §3.11, MQTT 3.1.1 §3.11.
//
// Packet identifier; in 5.0 then properties and one reason code per topic filter. 3.1 and 3.1.1
// UNSUBACK has no payload, so the codes are neither written nor read there.

extension UnsubAckPacket {
    init(decoding body: inout ByteBuffer, version: ProtocolVersion) throws(MQTTDecodeError) {
        let packetID = try body.readMQTTUInt16("packet identifier")
        guard packetID != 0 else { throw .protocolError("UNSUBACK with packet identifier 0") }  // [MQTT-2.2.1-3]
        guard version == .v5 else {
            self.init(packetID: packetID)
            return
        }

        let properties = try Properties.decode(from: &body, owner: .unsuback)
        var reasonCodes: [ReasonCode] = []
        reasonCodes.reserveCapacity(body.readableBytes)
        while body.readableBytes > 0 {
            let code = ReasonCode(try body.readMQTTByte("reason code"))
            guard code.isValid(in: .unsuback) else {
                throw .protocolError("UNSUBACK reason code \(code) is not defined")  // MQTT 5 §3.11.3
            }
            reasonCodes.append(code)
        }
        // One code per filter, and an UNSUBSCRIBE has at least one [MQTT-3.11.3-1].
        guard !reasonCodes.isEmpty else { throw .protocolError("UNSUBACK has no reason code") }
        self.init(packetID: packetID, reasonCodes: reasonCodes, properties: properties)
    }

    func encodedBodyLength(version: ProtocolVersion) -> Int {
        guard version == .v5 else { return 2 }
        return 2 + self.properties.encodedFieldLength + self.reasonCodes.count
    }

    func writeBody(version: ProtocolVersion, into buffer: inout ByteBuffer) {
        buffer.writeInteger(self.packetID)
        guard version == .v5 else { return }
        self.properties.write(to: &buffer)
        for code in self.reasonCodes {
            buffer.writeInteger(code.rawValue)
        }
    }
}
