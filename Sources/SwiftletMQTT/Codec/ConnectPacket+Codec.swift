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

// CONNECT: MQTT 5 §3.1, MQTT 3.1.1 §3.1, MQTT 3.1 §3.1.
//
// Variable header: protocol name, protocol level, connect flags, keep alive, properties (5.0).
// Payload, in this order [MQTT-3.1.3-1]: client identifier, will properties (5.0), will topic,
// will payload, user name, password; each of the last four only if its flag is set.

/// The connect flags byte (MQTT 5 §3.1.2.3).
private enum ConnectFlags {
    static let reserved: UInt8 = 0x01
    static let cleanStart: UInt8 = 0x02
    static let will: UInt8 = 0x04
    static let willQoSShift: UInt8 = 3
    static let willQoSMask: UInt8 = 0x18
    static let willRetain: UInt8 = 0x20
    static let password: UInt8 = 0x40
    static let username: UInt8 = 0x80
}

// MARK: - Decoding

extension ConnectPacket {
    /// Reads the protocol name and level that open the variable header (MQTT 5 §3.1.2.1, §3.1.2.2).
    ///
    /// - Throws: ``MQTTDecodeError/unsupportedProtocolVersion(_:)`` for any name and level pair other
    ///   than `MQTT` 5, `MQTT` 4 and `MQIsdp` 3, so the caller can answer with CONNACK 0x84 or
    ///   return code 0x01 [MQTT-3.1.2-2]; malformed when the packet ends first.
    static func decodeProtocolVersion(from body: inout ByteBuffer) throws(MQTTDecodeError) -> ProtocolVersion {
        let nameLength = try body.readMQTTUInt16("protocol name")
        guard let name = body.readSlice(length: Int(nameLength)) else { throw .truncated("protocol name") }
        let level = try body.readMQTTByte("protocol level")

        let nameBytes = name.readableBytesView
        switch level {
        case ProtocolVersion.v5.rawValue where nameBytes.elementsEqual("MQTT".utf8):
            return .v5
        case ProtocolVersion.v3_1_1.rawValue where nameBytes.elementsEqual("MQTT".utf8):
            return .v3_1_1
        case ProtocolVersion.v3_1.rawValue where nameBytes.elementsEqual("MQIsdp".utf8):
            return .v3_1
        default:
            // [MQTT-3.1.2-1] an unknown name; [MQTT-3.1.2-2] an unsupported level.
            let shownName = String(decoding: nameBytes.prefix(16), as: UTF8.self)
            throw .unsupportedProtocolVersion("protocol \(shownName.debugDescription) level \(level)")
        }
    }

    /// Reads the rest of a CONNECT after ``decodeProtocolVersion(from:)``.
    init(decodingAfterProtocolLevel body: inout ByteBuffer, version: ProtocolVersion) throws(MQTTDecodeError) {
        let flags = try body.readMQTTByte("connect flags")
        // 3.1 left the bit unspecified; mosquitto accepts it there too.
        if version >= .v3_1_1, flags & ConnectFlags.reserved != 0 {
            throw .malformed("reserved connect flag is set")  // [MQTT-3.1.2-3]
        }
        let hasWill = flags & ConnectFlags.will != 0
        let willQoSBits = (flags & ConnectFlags.willQoSMask) >> ConnectFlags.willQoSShift
        let willRetain = flags & ConnectFlags.willRetain != 0
        let hasPassword = flags & ConnectFlags.password != 0
        let hasUsername = flags & ConnectFlags.username != 0

        if !hasWill {
            // [MQTT-3.1.2-11] (5.0) [MQTT-3.1.2-13] (3.1.1)
            guard willQoSBits == 0 else { throw .malformed("will QoS is set without a will") }
            // [MQTT-3.1.2-13] (5.0) [MQTT-3.1.2-15] (3.1.1)
            guard !willRetain else { throw .malformed("will retain is set without a will") }
        }
        // [MQTT-3.1.2-12] (5.0) [MQTT-3.1.2-14] (3.1.1)
        guard let willQoS = QoS(rawValue: willQoSBits) else { throw .malformed("will QoS 3") }
        if version < .v5, hasPassword, !hasUsername {
            // [MQTT-3.1.2-22] (3.1.1); MQTT 5 §3.1.2.9 allows a password alone.
            throw .protocolError("password flag is set without the user name flag")
        }

        let keepAlive = try body.readMQTTUInt16("keep alive")
        let properties = version == .v5 ? try Properties.decode(from: &body, owner: .connect) : Properties()

        let clientID = try body.readMQTTString("client identifier")
        if clientID.isEmpty {
            switch version {
            case .v3_1:
                // MQTT 3.1 §3.1: the client identifier is 1 to 23 characters.
                throw .clientIdentifierNotValid("empty client identifier in MQTT 3.1")
            case .v3_1_1 where !cleanStartFlag(flags):
                throw .clientIdentifierNotValid("empty client identifier without clean session")  // [MQTT-3.1.3-8]
            case .v3_1_1, .v5:
                // The server assigns one [MQTT-3.1.3-6] (3.1.1), MQTT 5 §3.1.3.1.
                break
            }
        }

        var will: WillMessage? = nil
        if hasWill {
            let willProperties = version == .v5 ? try Properties.decode(from: &body, owner: .will) : Properties()
            let topic = try body.readMQTTString("will topic")
            guard Topic.isValidName(topic) else {
                throw .topicNameInvalid("will topic is empty or holds a wildcard")  // [MQTT-4.7.1-1] [MQTT-4.7.3-1]
            }
            let payload = try body.readMQTTBinaryData("will payload")
            will = WillMessage(
                topic: topic,
                payload: payload,
                qos: willQoS,
                retain: willRetain,
                properties: willProperties
            )
        }

        // mosquitto accepts a 3.1 CONNECT whose user name or password flag is set with the field
        // missing; some 3.1 clients send that, so do the same there (and only there).
        let lenient = version == .v3_1
        var username: String? = nil
        if hasUsername, !(lenient && body.readableBytes == 0) {
            username = try body.readMQTTString("user name")
        }
        var password: ByteBuffer? = nil
        if hasPassword, !(lenient && body.readableBytes == 0) {
            password = try body.readMQTTBinaryData("password")
        }

        self.init(
            version: version,
            cleanStart: cleanStartFlag(flags),
            keepAlive: keepAlive,
            clientID: clientID,
            will: will,
            username: username,
            password: password,
            properties: properties
        )
    }
}

private func cleanStartFlag(_ flags: UInt8) -> Bool {
    flags & ConnectFlags.cleanStart != 0
}

// MARK: - Encoding

extension ConnectPacket {
    /// The remaining length of this CONNECT, written in its own ``ConnectPacket/version``.
    var encodedBodyLength: Int {
        var length = MQTTWire.stringSize(self.version.protocolName) + 1 + 1 + 2
        if self.version == .v5 { length += self.properties.encodedFieldLength }
        length += MQTTWire.stringSize(self.clientID)
        if let will = self.will {
            if self.version == .v5 { length += will.properties.encodedFieldLength }
            length += MQTTWire.stringSize(will.topic) + MQTTWire.binaryDataSize(will.payload)
        }
        if let username = self.username { length += MQTTWire.stringSize(username) }
        if let password = self.password { length += MQTTWire.binaryDataSize(password) }
        return length
    }

    /// Writes everything after the fixed header, in the packet's own ``ConnectPacket/version``.
    func writeBody(into buffer: inout ByteBuffer) {
        buffer.writeMQTTString(self.version.protocolName)
        buffer.writeInteger(self.version.rawValue)

        var flags: UInt8 = 0
        if self.cleanStart { flags |= ConnectFlags.cleanStart }
        if let will = self.will {
            flags |= ConnectFlags.will | (will.qos.rawValue << ConnectFlags.willQoSShift)
            if will.retain { flags |= ConnectFlags.willRetain }
        }
        if self.password != nil { flags |= ConnectFlags.password }
        if self.username != nil { flags |= ConnectFlags.username }
        buffer.writeInteger(flags)
        buffer.writeInteger(self.keepAlive)
        if self.version == .v5 { self.properties.write(to: &buffer) }

        buffer.writeMQTTString(self.clientID)
        if let will = self.will {
            if self.version == .v5 { will.properties.write(to: &buffer) }
            buffer.writeMQTTString(will.topic)
            buffer.writeMQTTBinaryData(will.payload)
        }
        if let username = self.username { buffer.writeMQTTString(username) }
        if let password = self.password { buffer.writeMQTTBinaryData(password) }
    }
}
