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

/// The place a property list occupies. Which properties may appear, and which may repeat, depends
/// on it (MQTT 5 §2.2.2.2, table 2-4).
enum PropertyOwner: Sendable, Hashable, CustomStringConvertible {
    case connect
    /// The will properties in the CONNECT payload (MQTT 5 §3.1.3.2).
    case will
    case connack
    case publish
    case puback
    case pubrec
    case pubrel
    case pubcomp
    case subscribe
    case suback
    case unsubscribe
    case unsuback
    case disconnect
    case auth

    var description: String {
        switch self {
        case .connect: "CONNECT"
        case .will: "will"
        case .connack: "CONNACK"
        case .publish: "PUBLISH"
        case .puback: "PUBACK"
        case .pubrec: "PUBREC"
        case .pubrel: "PUBREL"
        case .pubcomp: "PUBCOMP"
        case .subscribe: "SUBSCRIBE"
        case .suback: "SUBACK"
        case .unsubscribe: "UNSUBSCRIBE"
        case .unsuback: "UNSUBACK"
        case .disconnect: "DISCONNECT"
        case .auth: "AUTH"
        }
    }
}

extension Property {
    /// Whether MQTT 5 §2.2.2.2 (table 2-4) allows this property in `owner`.
    func isAllowed(in owner: PropertyOwner) -> Bool {
        switch self {
        case .payloadFormatIndicator, .messageExpiryInterval, .contentType, .responseTopic, .correlationData:
            owner == .publish || owner == .will
        case .subscriptionIdentifier:
            owner == .publish || owner == .subscribe
        case .sessionExpiryInterval:
            owner == .connect || owner == .connack || owner == .disconnect
        case .assignedClientIdentifier, .serverKeepAlive, .responseInformation, .maximumQoS, .retainAvailable,
            .wildcardSubscriptionAvailable, .subscriptionIdentifiersAvailable, .sharedSubscriptionAvailable:
            owner == .connack
        case .authenticationMethod, .authenticationData:
            owner == .connect || owner == .connack || owner == .auth
        case .requestProblemInformation, .requestResponseInformation:
            owner == .connect
        case .willDelayInterval:
            owner == .will
        case .serverReference:
            owner == .connack || owner == .disconnect
        case .reasonString:
            switch owner {
            case .connack, .puback, .pubrec, .pubrel, .pubcomp, .suback, .unsuback, .disconnect, .auth: true
            case .connect, .will, .publish, .subscribe, .unsubscribe: false
            }
        case .receiveMaximum, .topicAliasMaximum, .maximumPacketSize:
            owner == .connect || owner == .connack
        case .topicAlias:
            owner == .publish
        case .userProperty:
            true
        }
    }

    /// Whether the property may appear more than once in `owner`.
    ///
    /// User properties may always repeat (MQTT 5 §3.1.2.11.8). A PUBLISH from the server carries
    /// one subscription identifier per matching subscription (MQTT 5 §3.3.4); a SUBSCRIBE carries
    /// at most one (MQTT 5 §3.8.2.1.2). Every other property is single-instance: including it
    /// twice is a protocol error.
    func mayRepeat(in owner: PropertyOwner) -> Bool {
        switch self {
        case .userProperty: true
        case .subscriptionIdentifier: owner == .publish
        default: false
        }
    }
}
