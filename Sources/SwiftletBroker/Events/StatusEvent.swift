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
import SwiftletAuth
import SwiftletMQTT

/// A client connected or disconnected: the JSON document published on
/// `$SYS/clients/{clientId}/connected|disconnected` (DESIGN §7; schema in docs/status-events.md).
package struct StatusEvent: Sendable, Hashable {
    package enum Kind: String, Sendable, Hashable {
        /// CONNACK accepted the client.
        case connect
        /// The client sent DISCONNECT.
        case disconnect
        /// The connection ended without a DISCONNECT from the client: the network, a timeout, or
        /// the broker closed it (see ``reason``).
        case tcpclean
    }

    /// Why a connection ended.
    package enum Reason: String, Sendable, Hashable {
        case clean
        case keepAliveTimeout = "keepalive timeout"
        case takeover
        case kicked
        case protocolError = "protocol error"
        case authExpired = "auth expired"
        /// The client's token was revoked (Broker.revokeToken); DISCONNECT 0x87 like an expiry.
        case tokenRevoked = "token revoked"
        case serverShutdown = "server shutdown"
        case slowConsumer = "slow consumer"
        case connectionLost = "connection lost"

        /// The reason behind a DISCONNECT the broker sent with `code`.
        package init(serverDisconnect code: ReasonCode) {
            switch code {
            case .keepAliveTimeout: self = .keepAliveTimeout
            case .sessionTakenOver: self = .takeover
            case .administrativeAction: self = .kicked
            case .notAuthorized: self = .authExpired
            case .serverShuttingDown: self = .serverShutdown
            case .quotaExceeded: self = .slowConsumer
            default: self = .protocolError
            }
        }
    }

    package var kind: Kind
    package var clientID: String
    package var username: String?
    package var ip: String?
    package var port: Int?
    /// `tcp`, `tls`, `ws` or `wss`.
    package var transport: String
    package var protocolVersion: ProtocolVersion
    package var keepAlive: UInt16
    package var cleanStart: Bool
    /// Milliseconds since 1970 (UTC).
    package var time: UInt64
    /// Unique per connection and increasing in the order connections were accepted by this
    /// broker process: a consumer orders the events of one client ID by it.
    package var channelID: String
    package var reason: Reason?
    /// The MQTT 5 reason code of the DISCONNECT that ended the connection, either side's.
    package var reasonCode: UInt8?

    package init(
        kind: Kind, clientID: String, username: String?, ip: String?, port: Int?, transport: String,
        protocolVersion: ProtocolVersion, keepAlive: UInt16, cleanStart: Bool, time: UInt64, channelID: String,
        reason: Reason? = nil, reasonCode: UInt8? = nil
    ) {
        self.kind = kind
        self.clientID = clientID
        self.username = username
        self.ip = ip
        self.port = port
        self.transport = transport
        self.protocolVersion = protocolVersion
        self.keepAlive = keepAlive
        self.cleanStart = cleanStart
        self.time = time
        self.channelID = channelID
        self.reason = reason
        self.reasonCode = reasonCode
    }

    /// `$SYS/clients/{clientId}/connected` or `…/disconnected`. Characters that would change the
    /// topic's levels or make it a filter (`/`, `+`, `#`) are replaced by `_`; the payload carries
    /// the exact client ID.
    package var topic: String {
        let suffix = kind == .connect ? "/connected" : "/disconnected"
        // Built once per connection and disconnection: the character-by-character copy only for
        // the rare client ID that needs it.
        let needsReplacing = clientID.utf8.contains { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }
        let safe = needsReplacing ? String(clientID.map { $0 == "/" || $0 == "+" || $0 == "#" ? "_" : $0 }) : clientID
        return "$SYS/clients/" + safe + suffix
    }

    /// The JSON document, keys in a fixed order.
    ///
    /// Written as UTF-8 bytes into one array, once per connection and disconnection: an array of
    /// key and value strings joined together cost about twenty allocations per event, and
    /// appending to a `String` piece by piece about 500 instructions per piece, on the connection
    /// set-up path.
    package var json: String {
        var out: [UInt8] = []
        // Room for an event with a client ID, user name and IPv6 address of ordinary length.
        out.reserveCapacity(512)
        Self.append("{\"eventType\":", to: &out)
        Self.appendQuoted(kind.rawValue, to: &out)
        Self.append(",\"clientId\":", to: &out)
        Self.appendQuoted(clientID, to: &out)
        Self.append(",\"groupId\":", to: &out)
        // `@@@` needs an `@`: most client IDs are ruled out without a substring search.
        if clientID.utf8.contains(UInt8(ascii: "@")), let grouped = GroupedClientID(clientID) {
            Self.appendQuoted(grouped.groupID, to: &out)
        } else {
            Self.append("null", to: &out)
        }
        Self.append(",\"username\":", to: &out)
        Self.appendQuotedOrNull(username, to: &out)
        Self.append(",\"ip\":", to: &out)
        Self.appendQuotedOrNull(ip, to: &out)
        Self.append(",\"port\":", to: &out)
        Self.append(port.map(String.init) ?? "null", to: &out)
        Self.append(",\"transport\":", to: &out)
        Self.appendQuoted(transport, to: &out)
        Self.append(",\"protocolVersion\":", to: &out)
        Self.appendQuoted(Self.versionName(protocolVersion), to: &out)
        Self.append(",\"keepalive\":", to: &out)
        Self.append(String(keepAlive), to: &out)
        Self.append(",\"cleanStart\":", to: &out)
        Self.append(cleanStart ? "true" : "false", to: &out)
        Self.append(",\"time\":", to: &out)
        Self.append(String(time), to: &out)
        Self.append(",\"channelId\":", to: &out)
        Self.appendQuoted(channelID, to: &out)
        if kind != .connect {
            Self.append(",\"reason\":", to: &out)
            Self.appendQuotedOrNull(reason?.rawValue, to: &out)
            Self.append(",\"reasonCode\":", to: &out)
            Self.append(reasonCode.map { String($0) } ?? "null", to: &out)
        }
        Self.append("}", to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func append(_ text: String, to out: inout [UInt8]) {
        out.append(contentsOf: text.utf8)
    }

    private static func appendQuotedOrNull(_ text: String?, to out: inout [UInt8]) {
        if let text {
            appendQuoted(text, to: &out)
        } else {
            append("null", to: &out)
        }
    }

    /// Appends `text` as a JSON string literal (see ``quoted(_:)``).
    private static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        if needsEscaping(text) {
            append(quoted(text), to: &out)
        } else {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: text.utf8)
            out.append(UInt8(ascii: "\""))
        }
    }

    /// Whether `text` holds a character that a JSON string literal must escape.
    private static func needsEscaping(_ text: String) -> Bool {
        text.utf8.contains { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }
    }

    private static func versionName(_ version: ProtocolVersion) -> String {
        switch version {
        case .v3_1: "3.1"
        case .v3_1_1: "3.1.1"
        case .v5: "5.0"
        }
    }

    /// A JSON string literal (RFC 8259 §7): quote, backslash and control characters escaped.
    static func quoted(_ text: String) -> String {
        guard needsEscaping(text) else { return "\"" + text + "\"" }
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
