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

/// An MQTT 5 reason code (MQTT 5 §2.4), also used to carry 3.1.1 CONNACK return codes and
/// SUBACK return codes, which the encoder maps per version.
package struct ReasonCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    package var rawValue: UInt8
    package init(rawValue: UInt8) { self.rawValue = rawValue }
    package init(_ rawValue: UInt8) { self.rawValue = rawValue }

    /// Codes of 0x80 and above are failures (MQTT 5 §2.4).
    package var isFailure: Bool { rawValue >= 0x80 }

    package static let success = ReasonCode(0x00)
    package static let normalDisconnection = ReasonCode(0x00)
    package static let grantedQoS0 = ReasonCode(0x00)
    package static let grantedQoS1 = ReasonCode(0x01)
    package static let grantedQoS2 = ReasonCode(0x02)
    package static let disconnectWithWillMessage = ReasonCode(0x04)
    package static let noMatchingSubscribers = ReasonCode(0x10)
    package static let noSubscriptionExisted = ReasonCode(0x11)
    package static let continueAuthentication = ReasonCode(0x18)
    package static let reAuthenticate = ReasonCode(0x19)
    package static let unspecifiedError = ReasonCode(0x80)
    package static let malformedPacket = ReasonCode(0x81)
    package static let protocolError = ReasonCode(0x82)
    package static let implementationSpecificError = ReasonCode(0x83)
    package static let unsupportedProtocolVersion = ReasonCode(0x84)
    package static let clientIdentifierNotValid = ReasonCode(0x85)
    package static let badUserNameOrPassword = ReasonCode(0x86)
    package static let notAuthorized = ReasonCode(0x87)
    package static let serverUnavailable = ReasonCode(0x88)
    package static let serverBusy = ReasonCode(0x89)
    package static let banned = ReasonCode(0x8A)
    package static let serverShuttingDown = ReasonCode(0x8B)
    package static let badAuthenticationMethod = ReasonCode(0x8C)
    package static let keepAliveTimeout = ReasonCode(0x8D)
    package static let sessionTakenOver = ReasonCode(0x8E)
    package static let topicFilterInvalid = ReasonCode(0x8F)
    package static let topicNameInvalid = ReasonCode(0x90)
    package static let packetIdentifierInUse = ReasonCode(0x91)
    package static let packetIdentifierNotFound = ReasonCode(0x92)
    package static let receiveMaximumExceeded = ReasonCode(0x93)
    package static let topicAliasInvalid = ReasonCode(0x94)
    package static let packetTooLarge = ReasonCode(0x95)
    package static let messageRateTooHigh = ReasonCode(0x96)
    package static let quotaExceeded = ReasonCode(0x97)
    package static let administrativeAction = ReasonCode(0x98)
    package static let payloadFormatInvalid = ReasonCode(0x99)
    package static let retainNotSupported = ReasonCode(0x9A)
    package static let qosNotSupported = ReasonCode(0x9B)
    package static let useAnotherServer = ReasonCode(0x9C)
    package static let serverMoved = ReasonCode(0x9D)
    package static let sharedSubscriptionsNotSupported = ReasonCode(0x9E)
    package static let connectionRateExceeded = ReasonCode(0x9F)
    package static let maximumConnectTime = ReasonCode(0xA0)
    package static let subscriptionIdentifiersNotSupported = ReasonCode(0xA1)
    package static let wildcardSubscriptionsNotSupported = ReasonCode(0xA2)

    package var description: String {
        "0x" + String(rawValue, radix: 16, uppercase: true)
    }
}

/// CONNACK return codes of MQTT 3.1 and 3.1.1 (MQTT 3.1.1 §3.2.2.3).
package enum ConnectReturnCode: UInt8, Sendable {
    case accepted = 0
    case unacceptableProtocolVersion = 1
    case identifierRejected = 2
    case serverUnavailable = 3
    case badUserNameOrPassword = 4
    case notAuthorized = 5

    /// The 3.1.1 return code closest to an MQTT 5 CONNACK reason code, for answering older clients.
    package init(reasonCode: ReasonCode) {
        switch reasonCode {
        case .success: self = .accepted
        case .unsupportedProtocolVersion: self = .unacceptableProtocolVersion
        case .clientIdentifierNotValid: self = .identifierRejected
        case .badUserNameOrPassword, .badAuthenticationMethod: self = .badUserNameOrPassword
        case .notAuthorized, .banned: self = .notAuthorized
        default: self = .serverUnavailable
        }
    }
}
