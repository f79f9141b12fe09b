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

extension ReasonCode {
    /// Whether MQTT 5 allows this reason code in a packet of `type` (MQTT 5 §2.4, table 2-6, and
    /// the reason code tables of §3.2.2.2, §3.4.2.1, §3.5.2.1, §3.6.2.1, §3.7.2.1, §3.9.3,
    /// §3.11.3, §3.14.2.1 and §3.15.2.1).
    ///
    /// Packet types without a reason code accept none.
    package func isValid(in type: PacketType) -> Bool {
        switch type {
        case .connack:
            switch self.rawValue {
            case 0x00, 0x80...0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99...0x9D, 0x9F: true
            default: false
            }
        case .puback, .pubrec:
            switch self.rawValue {
            case 0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99: true
            default: false
            }
        case .pubrel, .pubcomp:
            self.rawValue == 0x00 || self.rawValue == 0x92
        case .suback:
            switch self.rawValue {
            case 0x00...0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2: true
            default: false
            }
        case .unsuback:
            switch self.rawValue {
            case 0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91: true
            default: false
            }
        case .disconnect:
            switch self.rawValue {
            case 0x00, 0x04, 0x80...0x83, 0x87, 0x89, 0x8B, 0x8D...0x90, 0x93...0xA2: true
            default: false
            }
        case .auth:
            self.rawValue == 0x00 || self.rawValue == 0x18 || self.rawValue == 0x19
        case .connect, .publish, .subscribe, .unsubscribe, .pingreq, .pingresp:
            false
        }
    }
}

extension ConnectReturnCode {
    /// The MQTT 5 reason code a 3.1/3.1.1 CONNACK return code stands for.
    ///
    /// The inverse of ``ConnectReturnCode/init(reasonCode:)`` for every return code, so a 3.1.1
    /// CONNACK decodes to a ``ConnAckPacket`` that encodes to the same bytes.
    package var reasonCode: ReasonCode {
        switch self {
        case .accepted: .success
        case .unacceptableProtocolVersion: .unsupportedProtocolVersion
        case .identifierRejected: .clientIdentifierNotValid
        case .serverUnavailable: .serverUnavailable
        case .badUserNameOrPassword: .badUserNameOrPassword
        case .notAuthorized: .notAuthorized
        }
    }
}
