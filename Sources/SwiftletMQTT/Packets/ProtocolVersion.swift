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

/// The protocol level byte of CONNECT (MQTT 3.1.1 §3.1.2.2, MQTT 5 §3.1.2.2).
package enum ProtocolVersion: UInt8, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// MQTT 3.1, protocol name "MQIsdp".
    case v3_1 = 3
    /// MQTT 3.1.1, protocol name "MQTT".
    case v3_1_1 = 4
    /// MQTT 5.0, protocol name "MQTT".
    case v5 = 5

    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The protocol name a CONNECT of this level must carry.
    package var protocolName: String { self == .v3_1 ? "MQIsdp" : "MQTT" }

    package var description: String {
        switch self {
        case .v3_1: "3.1"
        case .v3_1_1: "3.1.1"
        case .v5: "5.0"
        }
    }
}

/// Quality of service levels (MQTT 5 §4.3).
package enum QoS: UInt8, Sendable, Hashable, Comparable {
    case atMostOnce = 0
    case atLeastOnce = 1
    case exactlyOnce = 2

    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The control packet types of the fixed header, bits 7-4 (MQTT 5 §2.1.2).
package enum PacketType: UInt8, Sendable, Hashable {
    case connect = 1
    case connack = 2
    case publish = 3
    case puback = 4
    case pubrec = 5
    case pubrel = 6
    case pubcomp = 7
    case subscribe = 8
    case suback = 9
    case unsubscribe = 10
    case unsuback = 11
    case pingreq = 12
    case pingresp = 13
    case disconnect = 14
    /// MQTT 5 only; reserved (forbidden) in 3.1.1.
    case auth = 15
}
