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

// MARK: - Decoding

extension Properties {
    /// Reads a property list: its variable byte integer length, then the properties (MQTT 5 §2.2.2).
    ///
    /// Enforces what the list alone decides: known identifiers, the properties `owner` allows,
    /// single-instance properties, and value ranges. Limits negotiated on the connection (topic
    /// alias maximum, maximum packet size) are the caller's.
    ///
    /// - Throws: Malformed for a truncated list, an unknown identifier or a bad value encoding;
    ///   protocol error for a property not allowed in `owner`, a repeated single-instance property,
    ///   or an out-of-range value.
    static func decode(from buffer: inout ByteBuffer, owner: PropertyOwner) throws(MQTTDecodeError) -> Properties {
        let length = try buffer.readMQTTVariableByteInteger("property length")
        guard length > 0 else { return Properties() }
        guard var bytes = buffer.readSlice(length: length) else {
            throw .malformed("\(owner) property length \(length) exceeds the packet")
        }

        var properties = Properties()
        // Identifiers are at most 0x2A, so one bit each fits a UInt64.
        var seen: UInt64 = 0
        while bytes.readableBytes > 0 {
            let property = try Property.decode(from: &bytes)
            guard property.isAllowed(in: owner) else {
                throw .protocolError("\(property.name) is not allowed in \(owner)")  // MQTT 5 §2.2.2.2
            }
            let bit: UInt64 = 1 << property.identifier
            if seen & bit != 0, !property.mayRepeat(in: owner) {
                throw .protocolError("\(property.name) appears more than once in \(owner)")
            }
            seen |= bit
            try property.validateValue(in: owner)
            properties.append(property)
        }

        // MQTT 5 §3.1.2.11.10, §3.2.2.3.18, §3.15.2.2.3: authentication data needs a method.
        if seen & (1 << 0x16) != 0, seen & (1 << 0x15) == 0 {
            throw .protocolError("\(owner) has authentication data but no authentication method")
        }
        return properties
    }
}

extension Property {
    /// Reads one property: its identifier, then its value in the identifier's data type.
    static func decode(from buffer: inout ByteBuffer) throws(MQTTDecodeError) -> Property {
        // The identifier is a variable byte integer, but every identifier MQTT 5 defines is below
        // 0x80; a first byte of 0x80 or more can only start an unknown identifier.
        let identifier = try buffer.readMQTTByte("property identifier")
        switch identifier {
        case 0x01: return .payloadFormatIndicator(try buffer.readMQTTByte("payload format indicator"))
        case 0x02: return .messageExpiryInterval(try buffer.readMQTTUInt32("message expiry interval"))
        case 0x03: return .contentType(try buffer.readMQTTString("content type"))
        case 0x08: return .responseTopic(try buffer.readMQTTString("response topic"))
        case 0x09: return .correlationData(try buffer.readMQTTBinaryData("correlation data"))
        case 0x0B:
            let value = try buffer.readMQTTVariableByteInteger("subscription identifier")
            return .subscriptionIdentifier(UInt32(truncatingIfNeeded: value))
        case 0x11: return .sessionExpiryInterval(try buffer.readMQTTUInt32("session expiry interval"))
        case 0x12: return .assignedClientIdentifier(try buffer.readMQTTString("assigned client identifier"))
        case 0x13: return .serverKeepAlive(try buffer.readMQTTUInt16("server keep alive"))
        case 0x15: return .authenticationMethod(try buffer.readMQTTString("authentication method"))
        case 0x16: return .authenticationData(try buffer.readMQTTBinaryData("authentication data"))
        case 0x17: return .requestProblemInformation(try buffer.readMQTTByte("request problem information"))
        case 0x18: return .willDelayInterval(try buffer.readMQTTUInt32("will delay interval"))
        case 0x19: return .requestResponseInformation(try buffer.readMQTTByte("request response information"))
        case 0x1A: return .responseInformation(try buffer.readMQTTString("response information"))
        case 0x1C: return .serverReference(try buffer.readMQTTString("server reference"))
        case 0x1F: return .reasonString(try buffer.readMQTTString("reason string"))
        case 0x21: return .receiveMaximum(try buffer.readMQTTUInt16("receive maximum"))
        case 0x22: return .topicAliasMaximum(try buffer.readMQTTUInt16("topic alias maximum"))
        case 0x23: return .topicAlias(try buffer.readMQTTUInt16("topic alias"))
        case 0x24: return .maximumQoS(try buffer.readMQTTByte("maximum QoS"))
        case 0x25: return .retainAvailable(try buffer.readMQTTByte("retain available"))
        case 0x26:
            let key = try buffer.readMQTTString("user property name")
            let value = try buffer.readMQTTString("user property value")
            return .userProperty(key, value)
        case 0x27: return .maximumPacketSize(try buffer.readMQTTUInt32("maximum packet size"))
        case 0x28: return .wildcardSubscriptionAvailable(try buffer.readMQTTByte("wildcard subscription available"))
        case 0x29:
            return .subscriptionIdentifiersAvailable(try buffer.readMQTTByte("subscription identifiers available"))
        case 0x2A: return .sharedSubscriptionAvailable(try buffer.readMQTTByte("shared subscription available"))
        default:
            // MQTT 5 §2.2.2.2: an unknown identifier cannot be skipped, its length is unknown.
            throw .malformed("unknown property identifier 0x\(String(identifier, radix: 16, uppercase: true))")
        }
    }

    /// Rejects values MQTT 5 calls a protocol error.
    func validateValue(in owner: PropertyOwner) throws(MQTTDecodeError) {
        switch self {
        case .payloadFormatIndicator(let value) where value > 1:
            // MQTT 5 §3.3.2.3.2, §3.1.3.2.3: 0 (unspecified bytes) or 1 (UTF-8).
            throw .protocolError("payload format indicator \(value) is neither 0 nor 1")
        case .subscriptionIdentifier(0):
            // MQTT 5 §3.3.2.3.8, §3.8.2.1.2.
            throw .protocolError("subscription identifier 0")
        case .receiveMaximum(0):
            // MQTT 5 §3.1.2.11.3, §3.2.2.3.3.
            throw .protocolError("receive maximum 0")
        case .maximumPacketSize(0):
            // MQTT 5 §3.1.2.11.4, §3.2.2.3.6.
            throw .protocolError("maximum packet size 0")
        case .topicAlias(0):
            // Topic Alias Invalid is the code the receiver answers with (MQTT 5 §3.3.2.3.4).
            throw MQTTDecodeError(reasonCode: .topicAliasInvalid, message: "topic alias 0")  // [MQTT-3.3.2-8]
        case .requestProblemInformation(let value) where value > 1:
            throw .protocolError("request problem information \(value) is neither 0 nor 1")  // MQTT 5 §3.1.2.11.7
        case .requestResponseInformation(let value) where value > 1:
            throw .protocolError("request response information \(value) is neither 0 nor 1")  // MQTT 5 §3.1.2.11.6
        case .maximumQoS(let value) where value > 1:
            throw .protocolError("maximum QoS \(value) is neither 0 nor 1")  // MQTT 5 §3.2.2.3.4
        case .retainAvailable(let value) where value > 1,
            .wildcardSubscriptionAvailable(let value) where value > 1,
            .subscriptionIdentifiersAvailable(let value) where value > 1,
            .sharedSubscriptionAvailable(let value) where value > 1:
            // MQTT 5 §3.2.2.3.5, §3.2.2.3.11-§3.2.2.3.13.
            throw .protocolError("\(self.name) \(value) is neither 0 nor 1")
        case .responseTopic(let topic) where !Topic.isValidName(topic):
            throw .protocolError("response topic is not a valid topic name")  // [MQTT-3.3.2-14]
        default:
            return
        }
    }

    /// The property's name as MQTT 5 §2.2.2.2 spells it, for error messages.
    var name: String {
        switch self {
        case .payloadFormatIndicator: "payload format indicator"
        case .messageExpiryInterval: "message expiry interval"
        case .contentType: "content type"
        case .responseTopic: "response topic"
        case .correlationData: "correlation data"
        case .subscriptionIdentifier: "subscription identifier"
        case .sessionExpiryInterval: "session expiry interval"
        case .assignedClientIdentifier: "assigned client identifier"
        case .serverKeepAlive: "server keep alive"
        case .authenticationMethod: "authentication method"
        case .authenticationData: "authentication data"
        case .requestProblemInformation: "request problem information"
        case .willDelayInterval: "will delay interval"
        case .requestResponseInformation: "request response information"
        case .responseInformation: "response information"
        case .serverReference: "server reference"
        case .reasonString: "reason string"
        case .receiveMaximum: "receive maximum"
        case .topicAliasMaximum: "topic alias maximum"
        case .topicAlias: "topic alias"
        case .maximumQoS: "maximum QoS"
        case .retainAvailable: "retain available"
        case .userProperty: "user property"
        case .maximumPacketSize: "maximum packet size"
        case .wildcardSubscriptionAvailable: "wildcard subscription available"
        case .subscriptionIdentifiersAvailable: "subscription identifiers available"
        case .sharedSubscriptionAvailable: "shared subscription available"
        }
    }
}

// MARK: - Encoding

extension Properties {
    /// The bytes of the properties themselves, without the length in front.
    package var encodedLength: Int {
        var length = 0
        for property in self.list {
            length += property.encodedLength
        }
        return length
    }

    /// The bytes of the whole property field: the variable byte integer length and the properties.
    var encodedFieldLength: Int {
        let length = self.encodedLength
        return MQTTWire.variableByteIntegerSize(length) + length
    }

    /// Writes the property field, given its ``encodedLength`` computed once by the caller.
    func write(propertiesLength: Int, to buffer: inout ByteBuffer) {
        buffer.writeMQTTVariableByteInteger(propertiesLength)
        for property in self.list {
            property.write(to: &buffer)
        }
    }

    /// Writes the property field, length included.
    func write(to buffer: inout ByteBuffer) {
        buffer.writeMQTTVariableByteInteger(self.encodedLength)
        for property in self.list {
            property.write(to: &buffer)
        }
    }
}

extension Property {
    /// Identifier byte plus value.
    var encodedLength: Int {
        switch self {
        case .payloadFormatIndicator, .requestProblemInformation, .requestResponseInformation, .maximumQoS,
            .retainAvailable, .wildcardSubscriptionAvailable, .subscriptionIdentifiersAvailable,
            .sharedSubscriptionAvailable:
            1 + 1
        case .serverKeepAlive, .receiveMaximum, .topicAliasMaximum, .topicAlias:
            1 + 2
        case .messageExpiryInterval, .sessionExpiryInterval, .willDelayInterval, .maximumPacketSize:
            1 + 4
        case .subscriptionIdentifier(let value):
            1 + MQTTWire.variableByteIntegerSize(Int(value))
        case .contentType(let string), .responseTopic(let string), .assignedClientIdentifier(let string),
            .authenticationMethod(let string), .responseInformation(let string), .serverReference(let string),
            .reasonString(let string):
            1 + MQTTWire.stringSize(string)
        case .correlationData(let data), .authenticationData(let data):
            1 + MQTTWire.binaryDataSize(data)
        case .userProperty(let key, let value):
            1 + MQTTWire.stringSize(key) + MQTTWire.stringSize(value)
        }
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(self.identifier)
        switch self {
        case .payloadFormatIndicator(let value), .requestProblemInformation(let value),
            .requestResponseInformation(let value), .maximumQoS(let value), .retainAvailable(let value),
            .wildcardSubscriptionAvailable(let value), .subscriptionIdentifiersAvailable(let value),
            .sharedSubscriptionAvailable(let value):
            buffer.writeInteger(value)
        case .serverKeepAlive(let value), .receiveMaximum(let value), .topicAliasMaximum(let value),
            .topicAlias(let value):
            buffer.writeInteger(value)
        case .messageExpiryInterval(let value), .sessionExpiryInterval(let value), .willDelayInterval(let value),
            .maximumPacketSize(let value):
            buffer.writeInteger(value)
        case .subscriptionIdentifier(let value):
            buffer.writeMQTTVariableByteInteger(Int(value))
        case .contentType(let string), .responseTopic(let string), .assignedClientIdentifier(let string),
            .authenticationMethod(let string), .responseInformation(let string), .serverReference(let string),
            .reasonString(let string):
            buffer.writeMQTTString(string)
        case .correlationData(let data), .authenticationData(let data):
            buffer.writeMQTTBinaryData(data)
        case .userProperty(let key, let value):
            buffer.writeMQTTString(key)
            buffer.writeMQTTString(value)
        }
    }
}
