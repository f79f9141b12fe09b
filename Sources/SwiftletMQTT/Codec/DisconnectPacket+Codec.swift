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

// DISCONNECT: MQTT 5 §3.14, MQTT 3.1.1 §3.14.
//
// 3.1 and 3.1.1: no variable header, `E0 00`. 5.0: reason code and properties, both optional: a
// remaining length of 0 means normal disconnection, 1 a reason code without properties
// (MQTT 5 §3.14.2.1, §3.14.2.2.1).
//
// Whether a session expiry interval may appear here depends on the CONNECT [MQTT-3.14.2-2]; that
// is the session's to check.

extension DisconnectPacket {
    init(decoding body: inout ByteBuffer, version: ProtocolVersion) throws(MQTTDecodeError) {
        // A 3.x body must be empty; the decoder rejects any byte left over as malformed.
        guard version == .v5, body.readableBytes > 0 else {
            self.init()
            return
        }
        let reasonCode = ReasonCode(try body.readMQTTByte("reason code"))
        guard reasonCode.isValid(in: .disconnect) else {
            throw .protocolError("DISCONNECT reason code \(reasonCode) is not defined")  // MQTT 5 §3.14.2.1
        }
        let properties = body.readableBytes > 0 ? try Properties.decode(from: &body, owner: .disconnect) : Properties()
        self.init(reasonCode: reasonCode, properties: properties)
    }

    func encodedBodyLength(version: ProtocolVersion) -> Int {
        guard version == .v5 else { return 0 }
        if self.properties.isEmpty {
            return self.reasonCode == .normalDisconnection ? 0 : 1
        }
        return 1 + self.properties.encodedFieldLength
    }

    func writeBody(version: ProtocolVersion, into buffer: inout ByteBuffer) {
        guard version == .v5, !(self.reasonCode == .normalDisconnection && self.properties.isEmpty) else { return }
        buffer.writeInteger(self.reasonCode.rawValue)
        if !self.properties.isEmpty {
            self.properties.write(to: &buffer)
        }
    }
}
