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

// PUBACK, PUBREC, PUBREL, PUBCOMP: MQTT 5 §3.4-§3.7, MQTT 3.1.1 §3.4-§3.7.
//
// Packet identifier; in 5.0 then a reason code and properties, both of which may be left out: a
// remaining length of 2 means success without properties, 3 means a reason code without
// properties (MQTT 5 §3.4.2.1, §3.4.2.2.1 and the same clauses of §3.5-§3.7).

extension AckPacket {
    /// Reads the body of a PUBACK, PUBREC, PUBREL or PUBCOMP, given by `type`.
    init(decoding body: inout ByteBuffer, type: PacketType, version: ProtocolVersion) throws(MQTTDecodeError) {
        let packetID = try body.readMQTTUInt16("packet identifier")
        // The identifier acknowledges one that was non-zero [MQTT-2.2.1-3].
        guard packetID != 0 else { throw .protocolError("\(type.name) with packet identifier 0") }

        var reasonCode = ReasonCode.success
        var properties = Properties()
        if version == .v5, body.readableBytes > 0 {
            reasonCode = ReasonCode(try body.readMQTTByte("reason code"))
            guard reasonCode.isValid(in: type) else {
                throw .protocolError("\(type.name) reason code \(reasonCode) is not defined")
            }
            if body.readableBytes > 0 {
                properties = try Properties.decode(from: &body, owner: type.ackPropertyOwner)
            }
        }
        self.init(packetID: packetID, reasonCode: reasonCode, properties: properties)
    }

    func encodedBodyLength(version: ProtocolVersion) -> Int {
        guard version == .v5 else { return 2 }
        if self.properties.isEmpty {
            return self.reasonCode == .success ? 2 : 3
        }
        return 3 + self.properties.encodedFieldLength
    }

    func writeBody(version: ProtocolVersion, into buffer: inout ByteBuffer) {
        buffer.writeInteger(self.packetID)
        guard version == .v5, !(self.reasonCode == .success && self.properties.isEmpty) else { return }
        buffer.writeInteger(self.reasonCode.rawValue)
        if !self.properties.isEmpty {
            self.properties.write(to: &buffer)
        }
    }
}

extension PacketType {
    fileprivate var ackPropertyOwner: PropertyOwner {
        switch self {
        case .pubrec: .pubrec
        case .pubrel: .pubrel
        case .pubcomp: .pubcomp
        default: .puback
        }
    }
}
