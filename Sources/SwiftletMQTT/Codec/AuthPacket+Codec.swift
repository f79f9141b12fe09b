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

// AUTH: MQTT 5 §3.15; no such packet before 5.0 (type 15 is reserved in 3.1.1).
//
// Reason code and properties; both may be left out for success without properties, a remaining
// length of 0 (MQTT 5 §3.15.2.1). A reason code without properties (remaining length 1) is read as
// DISCONNECT reads it, with no properties. Whether the authentication method matches the one of
// CONNECT (MQTT 5 §4.12) is the session's to check.

extension AuthPacket {
    init(decoding body: inout ByteBuffer) throws(MQTTDecodeError) {
        guard body.readableBytes > 0 else {
            self.init()
            return
        }
        let reasonCode = ReasonCode(try body.readMQTTByte("reason code"))
        guard reasonCode.isValid(in: .auth) else {
            throw .protocolError("AUTH reason code \(reasonCode) is not defined")  // MQTT 5 §3.15.2.1
        }
        let properties = body.readableBytes > 0 ? try Properties.decode(from: &body, owner: .auth) : Properties()
        self.init(reasonCode: reasonCode, properties: properties)
    }

    var encodedBodyLength: Int {
        if self.reasonCode == .success, self.properties.isEmpty { return 0 }
        return 1 + self.properties.encodedFieldLength
    }

    func writeBody(into buffer: inout ByteBuffer) {
        guard !(self.reasonCode == .success && self.properties.isEmpty) else { return }
        buffer.writeInteger(self.reasonCode.rawValue)
        self.properties.write(to: &buffer)
    }
}
