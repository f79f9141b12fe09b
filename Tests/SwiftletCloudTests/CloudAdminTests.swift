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
import SwiftletCloud
import SwiftletServer
import Testing

/// The SDK's admin-API calls (tokens, presence, kick) against a real broker with its admin listener.
@Suite("SwiftletCloud admin calls against BrokerServer", .timeLimit(.minutes(1)))
struct CloudAdminTests {
    static let device = ("DEVICES", "device-secret")

    /// A broker with MQTT and the admin API on 127.0.0.1 (any ports), a cloud key and a device key.
    static func withBroker(_ body: (_ mqtt: Int, _ admin: Int) async throws -> Void) async throws {
        try await CloudClientTests.withServer(configure: { configuration in
            try configuration.apply(key: "admin", value: "127.0.0.1:0")
            try configuration.apply(key: "access-key", value: "\(device.0):\(device.1):device")
            try configuration.apply(key: "instance-id", value: "test")
        }) { server in
            try await body(try #require(server.boundPorts["mqtt"]), try #require(server.boundPorts["admin"]))
        }
    }

    static func client(_ mqtt: Int, _ admin: Int, secret: String = CloudClientTests.secret) -> CloudClient {
        var configuration = CloudConfiguration(
            host: "127.0.0.1", port: mqtt, accessKeyID: CloudClientTests.accessKey, secretKey: secret,
            instanceID: "test", clientID: "GID_backend@@@admin")
        configuration.adminPort = admin
        return CloudClient(configuration: configuration)
    }

    @Test("applyToken issues a device token; queryToken and revokeToken see it; isOnline and kick follow a client")
    func tokensPresenceKick() async throws {
        try await Self.withBroker { mqtt, admin in
            let backend = Self.client(mqtt, admin)
            let token = try await backend.applyToken(
                filters: ["room/+"], actions: .read, expiresIn: .seconds(600), accessKeyID: Self.device.0)
            #expect(token.password == "R|\(token.token)")

            let valid = try await backend.queryToken(token.token)
            #expect(valid.valid && !valid.revoked && valid.state == "valid")
            #expect(valid.filters == ["room/+"] && valid.actions == "R" && valid.accessKeyId == Self.device.0)
            #expect(valid.expiresAt == token.expiresAt)

            // Rooms: none yet (exact-topic subscribers are counted; the demo test sees live rooms fill up).
            #expect(try await backend.rooms().isEmpty)

            // Presence and kick: a second SDK client stands in for a device.
            #expect(try await backend.isOnline(clientID: "GID_other@@@1") == false)
            var deviceConfiguration = CloudConfiguration(
                host: "127.0.0.1", port: mqtt, accessKeyID: CloudClientTests.accessKey,
                secretKey: CloudClientTests.secret, instanceID: "test", clientID: "GID_other@@@1")
            deviceConfiguration.reconnectInitialDelay = .seconds(30)  // stays away once kicked
            let device = CloudClient(configuration: deviceConfiguration)
            try await device.connect()
            #expect(try await backend.isOnline(clientID: "GID_other@@@1"))
            #expect(try await backend.kick(clientID: "GID_other@@@1"))
            #expect(try await backend.isOnline(clientID: "GID_other@@@1") == false)
            #expect(try await backend.kick(clientID: "GID_other@@@1") == false)
            await device.close()

            let revoked = try await backend.revokeToken(token.token)
            #expect(revoked.revoked && revoked.state == "revoked" && !revoked.valid)
            #expect(try await backend.queryToken(token.token).state == "revoked")

            let junk = try await backend.queryToken("AAAA")
            #expect(!junk.valid && junk.reason != nil)
            await #expect(throws: CloudError.self) { try await backend.revokeToken("AAAA") }
        }
    }

    @Test("deviceCredential derives a device's secret and its DeviceCredential password")
    func deviceCredential() async throws {
        try await Self.withBroker { mqtt, admin in
            let backend = Self.client(mqtt, admin)
            let credential = try await backend.deviceCredential(clientID: "GID_app@@@phone-7", accessKeyID: Self.device.0)
            #expect(credential.username == "DeviceCredential|\(Self.device.0)|test")
            #expect(credential.clientId == "GID_app@@@phone-7")
            let other = try await backend.deviceCredential(clientID: "GID_app@@@phone-8", accessKeyID: Self.device.0)
            #expect(other.deviceSecretKey != credential.deviceSecretKey && other.password != credential.password)
            #expect(try await backend.deviceCredential(clientID: "GID_app@@@phone-7", accessKeyID: Self.device.0) == credential)
            await #expect(throws: CloudError.self) { try await backend.deviceCredential(clientID: "x", accessKeyID: "NOPE") }
        }
    }

    @Test("A wrong secret is refused by the admin API with a CloudError")
    func wrongSecret() async throws {
        try await Self.withBroker { mqtt, admin in
            let impostor = Self.client(mqtt, admin, secret: "not-the-secret")
            let error = await #expect(throws: CloudError.self) {
                _ = try await impostor.applyToken(filters: ["a"], actions: .readWrite, expiresIn: .seconds(60))
            }
            #expect(error?.code == .refused)
            #expect(error?.message.contains("401") == true)
        }
    }

    @Test("An admin API that is not there is a connectionFailed CloudError, not a hang")
    func noAdminAPI() async throws {
        // Port 9 (discard) on loopback: nothing listens in the test environment.
        let client = Self.client(1883, 9)
        let error = await #expect(throws: CloudError.self) { _ = try await client.isOnline(clientID: "x@@@y") }
        #expect(error?.code == .connectionFailed)
    }
}
