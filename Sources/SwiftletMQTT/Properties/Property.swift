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

/// One MQTT 5 property (MQTT 5 §2.2.2.2). The identifier is the raw byte on the wire.
package enum Property: Sendable, Hashable {
    case payloadFormatIndicator(UInt8)  // 0x01, byte
    case messageExpiryInterval(UInt32)  // 0x02, four byte integer
    case contentType(String)  // 0x03, UTF-8 string
    case responseTopic(String)  // 0x08, UTF-8 string
    case correlationData(ByteBuffer)  // 0x09, binary data
    case subscriptionIdentifier(UInt32)  // 0x0B, variable byte integer
    case sessionExpiryInterval(UInt32)  // 0x11, four byte integer
    case assignedClientIdentifier(String)  // 0x12, UTF-8 string
    case serverKeepAlive(UInt16)  // 0x13, two byte integer
    case authenticationMethod(String)  // 0x15, UTF-8 string
    case authenticationData(ByteBuffer)  // 0x16, binary data
    case requestProblemInformation(UInt8)  // 0x17, byte
    case willDelayInterval(UInt32)  // 0x18, four byte integer
    case requestResponseInformation(UInt8)  // 0x19, byte
    case responseInformation(String)  // 0x1A, UTF-8 string
    case serverReference(String)  // 0x1C, UTF-8 string
    case reasonString(String)  // 0x1F, UTF-8 string
    case receiveMaximum(UInt16)  // 0x21, two byte integer
    case topicAliasMaximum(UInt16)  // 0x22, two byte integer
    case topicAlias(UInt16)  // 0x23, two byte integer
    case maximumQoS(UInt8)  // 0x24, byte
    case retainAvailable(UInt8)  // 0x25, byte
    case userProperty(String, String)  // 0x26, UTF-8 string pair
    case maximumPacketSize(UInt32)  // 0x27, four byte integer
    case wildcardSubscriptionAvailable(UInt8)  // 0x28, byte
    case subscriptionIdentifiersAvailable(UInt8)  // 0x29, byte
    case sharedSubscriptionAvailable(UInt8)  // 0x2A, byte

    /// The property identifier byte (MQTT 5 §2.2.2.2, table 2-4).
    package var identifier: UInt8 {
        switch self {
        case .payloadFormatIndicator: 0x01
        case .messageExpiryInterval: 0x02
        case .contentType: 0x03
        case .responseTopic: 0x08
        case .correlationData: 0x09
        case .subscriptionIdentifier: 0x0B
        case .sessionExpiryInterval: 0x11
        case .assignedClientIdentifier: 0x12
        case .serverKeepAlive: 0x13
        case .authenticationMethod: 0x15
        case .authenticationData: 0x16
        case .requestProblemInformation: 0x17
        case .willDelayInterval: 0x18
        case .requestResponseInformation: 0x19
        case .responseInformation: 0x1A
        case .serverReference: 0x1C
        case .reasonString: 0x1F
        case .receiveMaximum: 0x21
        case .topicAliasMaximum: 0x22
        case .topicAlias: 0x23
        case .maximumQoS: 0x24
        case .retainAvailable: 0x25
        case .userProperty: 0x26
        case .maximumPacketSize: 0x27
        case .wildcardSubscriptionAvailable: 0x28
        case .subscriptionIdentifiersAvailable: 0x29
        case .sharedSubscriptionAvailable: 0x2A
        }
    }
}

/// The property list of an MQTT 5 packet, in wire order.
///
/// Stored as an array of Property so that a packet without properties (every MQTT 3.1.1
/// packet) costs no allocation and copying a packet copies one reference.
package struct Properties: Sendable, Hashable, ExpressibleByArrayLiteral {
    package var list: [Property]

    package init() { self.list = [] }
    package init(_ list: [Property]) { self.list = list }
    package init(arrayLiteral elements: Property...) { self.list = elements }

    package var isEmpty: Bool { list.isEmpty }

    package mutating func append(_ property: Property) { list.append(property) }

    package var payloadFormatIndicator: UInt8? {
        for case .payloadFormatIndicator(let v) in list { return v }
        return nil
    }
    package var messageExpiryInterval: UInt32? {
        for case .messageExpiryInterval(let v) in list { return v }
        return nil
    }
    package var contentType: String? {
        for case .contentType(let v) in list { return v }
        return nil
    }
    package var responseTopic: String? {
        for case .responseTopic(let v) in list { return v }
        return nil
    }
    package var correlationData: ByteBuffer? {
        for case .correlationData(let v) in list { return v }
        return nil
    }
    package var subscriptionIdentifiers: [UInt32] {
        var ids: [UInt32] = []
        for case .subscriptionIdentifier(let v) in list { ids.append(v) }
        return ids
    }
    package var sessionExpiryInterval: UInt32? {
        for case .sessionExpiryInterval(let v) in list { return v }
        return nil
    }
    package var assignedClientIdentifier: String? {
        for case .assignedClientIdentifier(let v) in list { return v }
        return nil
    }
    package var serverKeepAlive: UInt16? {
        for case .serverKeepAlive(let v) in list { return v }
        return nil
    }
    package var authenticationMethod: String? {
        for case .authenticationMethod(let v) in list { return v }
        return nil
    }
    package var requestProblemInformation: UInt8? {
        for case .requestProblemInformation(let v) in list { return v }
        return nil
    }
    package var willDelayInterval: UInt32? {
        for case .willDelayInterval(let v) in list { return v }
        return nil
    }
    package var requestResponseInformation: UInt8? {
        for case .requestResponseInformation(let v) in list { return v }
        return nil
    }
    package var reasonString: String? {
        for case .reasonString(let v) in list { return v }
        return nil
    }
    package var receiveMaximum: UInt16? {
        for case .receiveMaximum(let v) in list { return v }
        return nil
    }
    package var topicAliasMaximum: UInt16? {
        for case .topicAliasMaximum(let v) in list { return v }
        return nil
    }
    package var topicAlias: UInt16? {
        for case .topicAlias(let v) in list { return v }
        return nil
    }
    package var maximumPacketSize: UInt32? {
        for case .maximumPacketSize(let v) in list { return v }
        return nil
    }
    package var serverReference: String? {
        for case .serverReference(let v) in list { return v }
        return nil
    }
    package var userProperties: [(String, String)] {
        var pairs: [(String, String)] = []
        for case .userProperty(let k, let v) in list { pairs.append((k, v)) }
        return pairs
    }

    /// Removes every property with the given identifier.
    package mutating func removeAll(identifier: UInt8) {
        list.removeAll { $0.identifier == identifier }
    }
}
