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

/// Where a ``CloudClient`` connects and with which credentials.
///
/// The client authenticates in signature mode (docs/authentication.md): user name
/// `Signature|{accessKeyID}|{instanceID}`, password Base64(HMAC-SHA1(secretKey, clientID)). The access key must have
/// the `cloud` role for the broker to add the message properties of ``CloudMessage`` and to allow status events.
public struct CloudConfiguration: Sendable {
    /// The broker's host name or IP address.
    public var host: String
    /// The broker's MQTT (TCP) port; 1883 by default.
    public var port: Int
    /// The access key's ID.
    public var accessKeyID: String
    /// The access key's secret. Only an HMAC of it goes on the wire.
    public var secretKey: String
    /// The instance ID the user name carries.
    public var instanceID: String
    /// The client ID, in the `GroupID@@@DeviceID` form (DESIGN §5), unique per running backend process.
    public var clientID: String
    /// The MQTT keep-alive in seconds; 30 by default.
    public var keepAlive: UInt16
    /// How many QoS 1 messages the broker may have sent this client without an ``CloudMessage/ack()``: the MQTT 5
    /// Receive Maximum. 64 by default. Messages beyond it wait at the broker, or go to other members of a group.
    public var receiveMaximum: UInt16
    /// The first wait before reconnecting after the connection is lost; doubled after each failed attempt.
    public var reconnectInitialDelay: Duration
    /// The longest wait between reconnection attempts.
    public var reconnectMaximumDelay: Duration
    /// How long TCP connect and CONNACK may take together.
    public var connectTimeout: Duration
    /// TLS for the MQTT connection (the broker's `mqtts` listener, 8883); nil for plain TCP.
    public var tls: CloudTLS?
    /// The admin API's host, for tokens, presence checks and kicks (docs/admin-api.md); ``host`` when nil.
    public var adminHost: String?
    /// The admin API's port; 18083 by default (`--admin` of `swiftlet serve`).
    public var adminPort: Int
    /// How long one admin API request may take.
    public var adminTimeout: Duration

    /// Creates a configuration.
    ///
    /// - Parameters:
    ///   - host: The broker's host name or IP address.
    ///   - port: The broker's MQTT port.
    ///   - accessKeyID: The access key's ID.
    ///   - secretKey: The access key's secret.
    ///   - instanceID: The instance ID.
    ///   - clientID: The client ID, `GroupID@@@DeviceID`.
    public init(
        host: String,
        port: Int = 1883,
        accessKeyID: String,
        secretKey: String,
        instanceID: String,
        clientID: String
    ) {
        self.host = host
        self.port = port
        self.accessKeyID = accessKeyID
        self.secretKey = secretKey
        self.instanceID = instanceID
        self.clientID = clientID
        self.keepAlive = 30
        self.receiveMaximum = 64
        self.reconnectInitialDelay = .milliseconds(200)
        self.reconnectMaximumDelay = .seconds(30)
        self.connectTimeout = .seconds(10)
        self.tls = nil
        self.adminHost = nil
        self.adminPort = 18083
        self.adminTimeout = .seconds(10)
    }
}

/// How a ``CloudClient`` checks the broker's certificate.
public struct CloudTLS: Sendable {
    /// A PEM file of the certificates to trust (a private CA, or a development certificate); the system's
    /// trust roots when nil.
    public var trustRootsFile: String?
    /// The name the broker's certificate must carry, also sent as SNI; ``CloudConfiguration/host`` when nil.
    /// (swift-nio-ssl also accepts a certificate that names the IP address connected to.)
    public var serverHostname: String?

    /// - Parameters:
    ///   - trustRootsFile: A PEM file of trusted certificates; the system's roots when nil.
    ///   - serverHostname: The name to verify; the configured host when nil.
    public init(trustRootsFile: String? = nil, serverHostname: String? = nil) {
        self.trustRootsFile = trustRootsFile
        self.serverHostname = serverHostname
    }
}
