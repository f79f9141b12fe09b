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
import NIOSSL
import SwiftletMQTT

/// How a client connects and what its CONNECT says.
package struct MQTTClientConfiguration: Sendable {
    /// The transport under MQTT.
    package enum Transport: Hashable, Sendable {
        /// MQTT over plain TCP.
        case tcp
        /// MQTT over WebSocket (MQTT 5 §6): the upgrade request goes to `path` with `Host: host`;
        /// with `deflate` the client offers permessage-deflate (RFC 7692).
        case webSocket(host: String, path: String, deflate: Bool)
    }

    /// The client identifier [MQTT-3.1.3-3]; empty asks the server to assign one (not every
    /// server allows that).
    package var clientID: String
    package var version: ProtocolVersion
    package var transport: Transport
    /// The keep-alive in seconds (MQTT 5 §3.1.2.10); 0 turns pings off.
    package var keepAlive: UInt16
    package var cleanStart: Bool
    package var username: String?
    package var password: String?
    /// The most outbound QoS 1/2 messages waiting for their acknowledgement.
    package var maximumInflight: Int
    /// The largest packet accepted from the server, in bytes.
    package var maximumPacketSize: Int
    /// How long TCP connect, the WebSocket upgrade and CONNACK may take together.
    package var connectTimeout: TimeAmount
    /// Whether the application sends PUBACK for inbound QoS 1 messages itself
    /// (``MQTTClientConnection/acknowledge(packetID:)``) rather than the client at once.
    package var manualAcknowledgement = false
    /// MQTT 5 CONNECT properties (Session Expiry Interval, Receive Maximum, …); ignored for 3.1.1.
    package var connectProperties: Properties = []
    /// TLS in front of the transport (MQTT/TLS, or WSS with a WebSocket transport); nil for plain.
    package var tls: TLS?

    /// A client-side TLS set-up: the context (trust roots, protocols) and the name the server's
    /// certificate must carry (also sent as SNI, RFC 6066 §3).
    package struct TLS: Sendable {
        package var context: NIOSSLContext
        package var serverHostname: String?

        package init(context: NIOSSLContext, serverHostname: String?) {
            self.context = context
            self.serverHostname = serverHostname
        }
    }

    /// Creates a configuration; every argument but `clientID` has a default.
    package init(
        clientID: String,
        version: ProtocolVersion = .v3_1_1,
        transport: Transport = .tcp,
        keepAlive: UInt16 = 60,
        cleanStart: Bool = true,
        username: String? = nil,
        password: String? = nil,
        maximumInflight: Int = 1024,
        maximumPacketSize: Int = 1 << 20,
        connectTimeout: TimeAmount = .seconds(10)
    ) {
        self.clientID = clientID
        self.version = version
        self.transport = transport
        self.keepAlive = keepAlive
        self.cleanStart = cleanStart
        self.username = username
        self.password = password
        self.maximumInflight = maximumInflight
        self.maximumPacketSize = maximumPacketSize
        self.connectTimeout = connectTimeout
    }

    /// The CONNECT packet this configuration sends.
    package var connectPacket: ConnectPacket {
        ConnectPacket(
            version: self.version,
            cleanStart: self.cleanStart,
            keepAlive: self.keepAlive,
            clientID: self.clientID,
            username: self.username,
            password: self.password.map { ByteBuffer(string: $0) },
            properties: self.version == .v5 ? self.connectProperties : []
        )
    }
}
