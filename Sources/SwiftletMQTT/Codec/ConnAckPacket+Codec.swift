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

// CONNACK: MQTT 5 §3.2, MQTT 3.1.1 §3.2, MQTT 3.1 §3.2.
//
// Acknowledge flags (bit 0: session present; 3.1 has no flags), then the reason code (5.0) or
// return code (3.x), then properties (5.0).

// MARK: - Decoding

extension ConnAckPacket {
    init(decoding body: inout ByteBuffer, version: ProtocolVersion) throws(MQTTDecodeError) {
        let flags = try body.readMQTTByte("connect acknowledge flags")
        let code = try body.readMQTTByte("connect reason code")

        let sessionPresent: Bool
        let reasonCode: ReasonCode
        var properties = Properties()
        switch version {
        case .v3_1:
            // MQTT 3.1 §3.2: the first byte is reserved and carries nothing.
            sessionPresent = false
            guard let returnCode = ConnectReturnCode(rawValue: code) else {
                throw .protocolError("reserved CONNACK return code \(code)")
            }
            reasonCode = returnCode.reasonCode
        case .v3_1_1:
            guard flags & 0xFE == 0 else { throw .malformed("reserved CONNACK flags are set") }  // [MQTT-3.2.2-1]
            sessionPresent = flags & 0x01 != 0
            guard let returnCode = ConnectReturnCode(rawValue: code) else {
                throw .protocolError("reserved CONNACK return code \(code)")  // MQTT 3.1.1 §3.2.2.3
            }
            reasonCode = returnCode.reasonCode
        case .v5:
            guard flags & 0xFE == 0 else { throw .malformed("reserved CONNACK flags are set") }  // [MQTT-3.2.2-1]
            sessionPresent = flags & 0x01 != 0
            reasonCode = ReasonCode(code)
            guard reasonCode.isValid(in: .connack) else {
                throw .protocolError("CONNACK reason code \(reasonCode) is not defined")  // MQTT 5 §3.2.2.2
            }
            properties = try Properties.decode(from: &body, owner: .connack)
        }
        // [MQTT-3.2.2-6] (5.0) [MQTT-3.2.2-4] (3.1.1)
        guard !(sessionPresent && reasonCode != .success) else {
            throw .protocolError("CONNACK refuses the connection but sets session present")
        }
        self.init(sessionPresent: sessionPresent, reasonCode: reasonCode, properties: properties)
    }
}

// MARK: - Encoding

extension ConnAckPacket {
    func encodedBodyLength(version: ProtocolVersion) -> Int {
        version == .v5 ? 2 + self.properties.encodedFieldLength : 2
    }

    func writeBody(version: ProtocolVersion, into buffer: inout ByteBuffer) {
        // [MQTT-3.2.2-6] (5.0) [MQTT-3.2.2-4] (3.1.1): a refusal never claims a session.
        let sessionPresentFlag: UInt8 = self.sessionPresent && self.reasonCode == .success ? 1 : 0
        switch version {
        case .v3_1:
            buffer.writeInteger(UInt8(0))
            buffer.writeInteger(ConnectReturnCode(reasonCode: self.reasonCode).rawValue)
        case .v3_1_1:
            buffer.writeInteger(sessionPresentFlag)
            buffer.writeInteger(ConnectReturnCode(reasonCode: self.reasonCode).rawValue)
        case .v5:
            buffer.writeInteger(sessionPresentFlag)
            buffer.writeInteger(self.reasonCode.rawValue)
            self.properties.write(to: &buffer)
        }
    }
}
