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
import NIOCore
import NIOHTTP1

/// What a token lets its holder do (docs/authentication.md "Tokens").
public enum CloudTokenActions: String, Sendable, Codable {
    /// Subscribe to the token's filters.
    case read = "R"
    /// Publish to the token's filters.
    case write = "W"
    /// Both.
    case readWrite = "RW"
}

/// A token the broker issued.
public struct CloudToken: Sendable, Codable, Equatable {
    /// The token itself, for the password of a `Token|{accessKeyId}|{instanceId}` user name.
    public var token: String
    /// When it expires, in milliseconds since 1970.
    public var expiresAt: Int64
    /// The password for a client that uses this token alone, e.g. `RW|{token}`.
    public var password: String
}

/// A device's own credential for `DeviceCredential` mode (docs/authentication.md "Device credentials").
public struct CloudDeviceCredential: Sendable, Codable, Equatable {
    /// The access key the device secret derives from.
    public var accessKeyId: String
    /// The client ID the credential signs for.
    public var clientId: String
    /// The device's secret: give it to the device, which signs its CONNECT with it.
    public var deviceSecretKey: String
    /// `DeviceCredential|{accessKeyId}|{instanceId}`.
    public var username: String
    /// Base64(HMAC-SHA1(deviceSecretKey, clientId)).
    public var password: String
}

/// A topic with subscribers or under a room policy (`GET /api/v1/rooms`).
public struct CloudRoom: Sendable, Codable, Equatable {
    /// The topic.
    public var topic: String
    /// Subscriptions by filters without wildcards to exactly this topic (a shared group's members count one
    /// each); wildcard subscribers are not counted.
    public var subscribers: Int
    /// The filter of the room policy that governs the topic, if any.
    public var policy: String?
    /// Messages published into the room (room policies only).
    public var published: Int?
    /// Deliveries handed to subscribers (room policies only).
    public var delivered: Int?
    /// Messages dropped by the rate ceiling or for slow consumers (room policies only).
    public var dropped: Int?
}

/// What the broker knows about a token (`POST /api/v1/tokens/query`).
public struct CloudTokenStatus: Sendable, Codable, Equatable {
    /// Signed by a configured key, not expired and not revoked.
    public var valid: Bool
    /// Revoked through ``CloudClient/revokeToken(_:)`` (or the admin API).
    public var revoked: Bool
    /// `valid`, `revoked` or `expired`; nil when the broker could not verify the token.
    public var state: String?
    /// Why the broker could not verify the token (malformed, forged, unknown key).
    public var reason: String?
    /// The token's ID, which the broker logs instead of the token.
    public var tokenId: String?
    /// The access key that signed it.
    public var accessKeyId: String?
    /// Its actions, `R`, `W` or `RW`.
    public var actions: String?
    /// Its topic filters.
    public var filters: [String]?
    /// When it expires, in milliseconds since 1970.
    public var expiresAt: Int64?
}

/// Tokens, presence and kicks, over the broker's admin API (docs/admin-api.md) with this client's access key,
/// which must have the `cloud` role. Each call is one signed HTTP request to ``CloudConfiguration/adminHost``
/// and ``CloudConfiguration/adminPort``; nothing here needs ``CloudClient/connect()``.
extension CloudClient {
    /// Issues a token (DESIGN §6): its holder may use `filters` for `actions` until it expires.
    ///
    /// - Parameters:
    ///   - filters: 1 to 100 topic filters; wildcards allowed.
    ///   - actions: Read, write or both.
    ///   - expiresIn: 60 seconds to 30 days.
    ///   - accessKeyID: The access key that signs the token and that the client names in its user name
    ///     (`Token|{accessKeyID}|{instanceID}`); this client's key when nil. Issue device tokens with a `device`
    ///     key, so that their holders never get the `cloud` role's reach.
    /// - Returns: The token, its expiry and the password for a client that uses it alone.
    public func applyToken(
        filters: [String], actions: CloudTokenActions, expiresIn: Duration, accessKeyID: String? = nil
    ) async throws -> CloudToken {
        struct Body: Encodable { var accessKeyId: String; var filters: [String]; var actions: String; var expiresIn: Int64 }
        let body = Body(
            accessKeyId: accessKeyID ?? configuration.accessKeyID, filters: filters, actions: actions.rawValue,
            expiresIn: expiresIn.components.seconds)
        let response = try await admin().request(.POST, "/api/v1/tokens", body: try Self.encode(body))
        return try Self.decode(CloudToken.self, from: response, expecting: .created)
    }

    /// Revokes a token: clients connected with it are disconnected (MQTT 5 reason code 0x87) and no client can
    /// connect with it again before it expires.
    ///
    /// - Returns: The token's status after the call: revoked, or expired (an expired token needs no revoking).
    /// - Throws: ``CloudError`` with ``CloudError/Code/invalidArgument`` for a token the broker cannot verify.
    @discardableResult
    public func revokeToken(_ token: String) async throws -> CloudTokenStatus {
        struct Body: Encodable { var token: String }
        let response = try await admin().request(.POST, "/api/v1/tokens/revoke", body: try Self.encode(Body(token: token)))
        return try Self.decode(CloudTokenStatus.self, from: response, expecting: .ok)
    }

    /// What the broker knows about a token: valid, revoked, expired, its grants.
    public func queryToken(_ token: String) async throws -> CloudTokenStatus {
        struct Body: Encodable { var token: String }
        let response = try await admin().request(.POST, "/api/v1/tokens/query", body: try Self.encode(Body(token: token)))
        return try Self.decode(CloudTokenStatus.self, from: response, expecting: .ok)
    }

    /// A device's own credential (`POST /api/v1/device-credentials`): the device signs with a secret derived for
    /// its client ID, so one leaked device secret signs for that device only.
    ///
    /// - Parameters:
    ///   - clientID: The client ID the device will connect with.
    ///   - accessKeyID: The access key the secret derives from; this client's key when nil.
    public func deviceCredential(clientID: String, accessKeyID: String? = nil) async throws -> CloudDeviceCredential {
        struct Body: Encodable { var accessKeyId: String; var clientId: String }
        let body = Body(accessKeyId: accessKeyID ?? configuration.accessKeyID, clientId: clientID)
        let response = try await admin().request(.POST, "/api/v1/device-credentials", body: try Self.encode(body))
        return try Self.decode(CloudDeviceCredential.self, from: response, expecting: .created)
    }

    /// The broker's rooms: topics with subscribers (by filters without wildcards) or under a room policy, with
    /// their subscriber counts and, under a policy, their counters (`GET /api/v1/rooms`).
    public func rooms() async throws -> [CloudRoom] {
        let response = try await admin().request(.GET, "/api/v1/rooms")
        return try Self.decode([CloudRoom].self, from: response, expecting: .ok)
    }

    /// Whether a client is connected now.
    public func isOnline(clientID: String) async throws -> Bool {
        struct Answer: Decodable { var online: Bool }
        let response = try await admin().request(.GET, "/api/v1/clients/" + AdminAPIConnection.pathSegment(clientID))
        if response.status == .notFound { return false }
        return try Self.decode(Answer.self, from: response, expecting: .ok).online
    }

    /// Disconnects a client: MQTT 5 clients get DISCONNECT 0x98 (administrative action), and the status event's
    /// reason is `kicked`.
    ///
    /// - Returns: false if the client was not connected.
    @discardableResult
    public func kick(clientID: String) async throws -> Bool {
        let response = try await admin().request(.DELETE, "/api/v1/clients/" + AdminAPIConnection.pathSegment(clientID))
        if response.status == .notFound { return false }
        guard response.status == .noContent else { throw Self.failure(response) }
        return true
    }

    // MARK: - Plumbing

    private func admin() -> AdminAPIConnection {
        let timeout = configuration.adminTimeout.components
        return AdminAPIConnection(
            host: configuration.adminHost ?? configuration.host, port: configuration.adminPort,
            accessKeyID: configuration.accessKeyID, secretKey: configuration.secretKey,
            timeout: .seconds(timeout.seconds) + .nanoseconds(timeout.attoseconds / 1_000_000_000))
    }

    private static func encode(_ value: some Encodable) throws -> [UInt8] {
        Array(try JSONEncoder().encode(value))
    }

    private static func decode<Value: Decodable>(
        _ type: Value.Type, from response: AdminAPIConnection.Response, expecting status: HTTPResponseStatus
    ) throws -> Value {
        guard response.status == status else { throw failure(response) }
        do {
            return try JSONDecoder().decode(Value.self, from: Data(response.body.readableBytesView))
        } catch {
            throw CloudError(.refused, "the admin API's answer is not what this SDK expects: \(error)")
        }
    }

    /// The admin API's `{"error","message"}` as a ``CloudError``.
    private static func failure(_ response: AdminAPIConnection.Response) -> CloudError {
        struct Problem: Decodable { var error: String?; var message: String? }
        let problem = try? JSONDecoder().decode(Problem.self, from: Data(response.body.readableBytesView))
        let text = [problem?.error, problem?.message].compactMap { $0 }.joined(separator: ": ")
        let code: CloudError.Code = response.status == .badRequest || response.status == .notFound ? .invalidArgument : .refused
        return CloudError(code, "admin API answered \(response.status.code)\(text.isEmpty ? "" : " (\(text))")")
    }
}
