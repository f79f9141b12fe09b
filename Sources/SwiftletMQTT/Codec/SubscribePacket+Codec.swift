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

// SUBSCRIBE: MQTT 5 §3.8, MQTT 3.1.1 §3.8.
//
// Packet identifier, properties (5.0), then one or more topic filters, each followed by a byte of
// subscription options: requested QoS (bits 1-0); in 5.0 also no local (bit 2), retain as
// published (bit 3) and retain handling (bits 5-4).
//
// Filters are checked here for what makes the packet unreadable (an empty or ill-formed string);
// wildcard placement is left to the broker (`Topic.isValidFilter`), which refuses a bad filter
// with SUBACK 0x8F for that filter alone and keeps the connection.

/// The subscription options byte (MQTT 5 §3.8.3.1).
private enum SubscriptionOptions {
    static let qosMask: UInt8 = 0x03
    static let noLocal: UInt8 = 0x04
    static let retainAsPublished: UInt8 = 0x08
    static let retainHandlingShift: UInt8 = 4
    static let retainHandlingMask: UInt8 = 0x30
    static let reservedV5: UInt8 = 0xC0
    static let reservedV311: UInt8 = 0xFC
}

extension SubscribePacket {
    init(decoding body: inout ByteBuffer, version: ProtocolVersion) throws(MQTTDecodeError) {
        let packetID = try body.readMQTTUInt16("packet identifier")
        guard packetID != 0 else { throw .protocolError("SUBSCRIBE with packet identifier 0") }  // [MQTT-2.2.1-3]
        let properties = version == .v5 ? try Properties.decode(from: &body, owner: .subscribe) : Properties()

        var subscriptions: [SubscriptionRequest] = []
        while body.readableBytes > 0 {
            let filter = try body.readMQTTString("topic filter")
            guard !filter.isEmpty else { throw .malformed("SUBSCRIBE has an empty topic filter") }  // [MQTT-4.7.3-1]
            let options = try body.readMQTTByte("subscription options")
            subscriptions.append(try SubscriptionRequest(topicFilter: filter, options: options, version: version))
        }
        guard !subscriptions.isEmpty else {
            throw .protocolError("SUBSCRIBE has no topic filter")  // [MQTT-3.8.3-3]
        }
        self.init(packetID: packetID, subscriptions: subscriptions, properties: properties)
    }

    func encodedBodyLength(version: ProtocolVersion) -> Int {
        var length = 2
        if version == .v5 { length += self.properties.encodedFieldLength }
        for subscription in self.subscriptions {
            length += MQTTWire.stringSize(subscription.topicFilter) + 1
        }
        return length
    }

    func writeBody(version: ProtocolVersion, into buffer: inout ByteBuffer) {
        buffer.writeInteger(self.packetID)
        if version == .v5 { self.properties.write(to: &buffer) }
        for subscription in self.subscriptions {
            buffer.writeMQTTString(subscription.topicFilter)
            buffer.writeInteger(subscription.optionsByte(version: version))
        }
    }
}

extension SubscriptionRequest {
    /// Interprets the subscription options byte that follows `topicFilter`.
    init(topicFilter: String, options: UInt8, version: ProtocolVersion) throws(MQTTDecodeError) {
        switch version {
        case .v3_1:
            // MQTT 3.1 §3.8 marks bits 7-2 reserved without requiring a value; ignore them there.
            break
        case .v3_1_1:
            guard options & SubscriptionOptions.reservedV311 == 0 else {
                throw .malformed("reserved bits of the requested QoS byte are set")  // [MQTT-3-8.3-4]
            }
        case .v5:
            guard options & SubscriptionOptions.reservedV5 == 0 else {
                throw .malformed("reserved subscription option bits are set")  // [MQTT-3.8.3-5]
            }
        }

        guard let qos = QoS(rawValue: options & SubscriptionOptions.qosMask) else {
            if version == .v5 {
                throw .protocolError("SUBSCRIBE requests QoS 3")  // MQTT 5 §3.8.3.1
            }
            throw .malformed("SUBSCRIBE requests QoS 3")  // [MQTT-3-8.3-4]
        }
        guard version == .v5 else {
            self.init(topicFilter: topicFilter, qos: qos)
            return
        }

        let rawRetainHandling =
            (options & SubscriptionOptions.retainHandlingMask) >> SubscriptionOptions.retainHandlingShift
        guard let retainHandling = RetainHandling(rawValue: rawRetainHandling) else {
            throw .protocolError("retain handling 3")  // MQTT 5 §3.8.3.1
        }
        let noLocal = options & SubscriptionOptions.noLocal != 0
        if noLocal, topicFilter.utf8.starts(with: SharedSubscriptionFilter.prefix.utf8) {
            throw .protocolError("no local is set on a shared subscription")  // [MQTT-3.8.3-4]
        }
        self.init(
            topicFilter: topicFilter,
            qos: qos,
            noLocal: noLocal,
            retainAsPublished: options & SubscriptionOptions.retainAsPublished != 0,
            retainHandling: retainHandling
        )
    }

    /// The subscription options byte; 3.1 and 3.1.1 carry only the QoS.
    func optionsByte(version: ProtocolVersion) -> UInt8 {
        guard version == .v5 else { return self.qos.rawValue }
        var options = self.qos.rawValue | (self.retainHandling.rawValue << SubscriptionOptions.retainHandlingShift)
        if self.noLocal { options |= SubscriptionOptions.noLocal }
        if self.retainAsPublished { options |= SubscriptionOptions.retainAsPublished }
        return options
    }
}
