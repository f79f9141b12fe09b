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

/// A packet that ``MQTTPacketDecoder`` refused, with the reason code an MQTT 5 server answers with.
///
/// The decoder throws this for every input it cannot accept; it never traps. The caller decides what
/// the peer sees:
///
/// - ``ReasonCode/unsupportedProtocolVersion`` (0x84) comes only from a CONNECT with an unknown
///   protocol name or level. A server answers it with CONNACK 0x84 (MQTT 5) or return code 0x01
///   (3.1.1) and closes [MQTT-3.1.2-2].
/// - ``ReasonCode/clientIdentifierNotValid`` (0x85) comes only from CONNECT; answer with CONNACK
///   0x85, or return code 0x02 in 3.1/3.1.1 [MQTT-3.1.3-8].
/// - ``ReasonCode/topicNameInvalid`` (0x90) comes from a PUBLISH or will topic.
/// - Everything else (0x81 malformed, 0x82 protocol error, 0x95 packet too large) ends the
///   connection [MQTT-4.13.1-1]: an MQTT 5 server should send CONNACK (for CONNECT) or DISCONNECT
///   with the code first (MQTT 5 §4.13.1); a 3.1/3.1.1 server just closes.
///
/// The ``message`` is for logs. It never contains packet payloads or passwords.
package struct MQTTDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The MQTT 5 reason code for the violation (MQTT 5 §2.4).
    package var reasonCode: ReasonCode
    /// What was wrong, for logs.
    package var message: String

    package init(reasonCode: ReasonCode, message: String) {
        self.reasonCode = reasonCode
        self.message = message
    }

    package var description: String {
        "MQTTDecodeError(\(self.reasonCode): \(self.message))"
    }
}

extension MQTTDecodeError {
    /// The bytes cannot be parsed according to the specification (0x81).
    package static func malformed(_ message: String) -> Self {
        Self(reasonCode: .malformedPacket, message: message)
    }

    /// The packet parsed, but holds data the protocol does not allow (0x82).
    package static func protocolError(_ message: String) -> Self {
        Self(reasonCode: .protocolError, message: message)
    }

    /// The packet, fixed header included, is larger than the receiver accepts (0x95).
    package static func packetTooLarge(size: Int, maximum: Int) -> Self {
        Self(reasonCode: .packetTooLarge, message: "packet of \(size) bytes exceeds the maximum of \(maximum)")
    }

    /// CONNECT names a protocol or level this codec does not speak (0x84).
    package static func unsupportedProtocolVersion(_ message: String) -> Self {
        Self(reasonCode: .unsupportedProtocolVersion, message: message)
    }

    /// A topic name is not acceptable (0x90).
    package static func topicNameInvalid(_ message: String) -> Self {
        Self(reasonCode: .topicNameInvalid, message: message)
    }

    /// A topic filter is not acceptable (0x8F).
    package static func topicFilterInvalid(_ message: String) -> Self {
        Self(reasonCode: .topicFilterInvalid, message: message)
    }

    /// The CONNECT client identifier is not acceptable (0x85).
    package static func clientIdentifierNotValid(_ message: String) -> Self {
        Self(reasonCode: .clientIdentifierNotValid, message: message)
    }

    /// The packet ended inside `field`.
    static func truncated(_ field: StaticString) -> Self {
        .malformed("packet ends inside \(field)")
    }
}
