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
import Foundation

/// A client connected or disconnected: one status event from `$SYS/clients/{clientId}/connected|disconnected`
/// (docs/status-events.md).
public struct CloudStatusEvent: Sendable, Hashable, Decodable {
    /// `connect`, `disconnect` (the client sent DISCONNECT) or `tcpclean` (the connection ended otherwise).
    public var eventType: String
    /// The client's ID.
    public var clientID: String
    /// The group part of a `GroupID@@@DeviceID` client ID.
    public var groupID: String?
    /// The CONNECT user name.
    public var username: String?
    /// The client's IP address and port.
    public var ip: String?
    public var port: Int?
    /// `tcp`, `ws`, `tls`, `wss`.
    public var transport: String?
    /// `3.1`, `3.1.1` or `5.0`.
    public var protocolVersion: String?
    /// When the broker saw it, in milliseconds since 1970.
    public var time: UInt64
    /// One network connection: the connect and disconnect events of a connection share it.
    public var channelID: String
    /// Why the connection ended (`tcpclean`), e.g. `keepalive timeout`.
    public var reason: String?
    /// The reason code of the DISCONNECT, when there was one.
    public var reasonCode: UInt8?

    /// Whether this is a connect event.
    public var isConnect: Bool { self.eventType == "connect" }

    enum CodingKeys: String, CodingKey {
        case eventType
        case clientID = "clientId"
        case groupID = "groupId"
        case username, ip, port, transport, protocolVersion, time
        case channelID = "channelId"
        case reason, reasonCode
    }
}
