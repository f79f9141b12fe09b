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
import SwiftletCloud
import SwiftletServer
import Testing

/// The SDK over TLS to the broker's mqtts listener, with a development certificate as trust root.
@Suite("SwiftletCloud over TLS", .timeLimit(.minutes(1)))
struct CloudTLSTests {
    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-tls-\(UUID().uuidString)").path
    }

    /// A broker whose only MQTT listener is mqtts on 127.0.0.1 (any port), with a fresh development certificate.
    static func withTLSBroker(_ body: (_ port: Int, _ certificate: String) async throws -> Void) async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let written = try DevelopmentCertificate.write(to: directory)
        try await CloudClientTests.withServer(configure: { configuration in
            configuration.mqtt = nil
            configuration.https = nil
            try configuration.apply(key: "mqtts", value: "127.0.0.1:0")
            try configuration.apply(key: "tls-cert", value: written.certificatePath)
            try configuration.apply(key: "tls-key", value: written.privateKeyPath)
            try configuration.apply(key: "threads", value: "1")
        }) { server in
            try await body(try #require(server.boundPorts["mqtts"]), written.certificatePath)
        }
    }

    static func client(_ port: Int, _ clientID: String, tls: CloudTLS) -> CloudClient {
        var configuration = CloudConfiguration(
            host: "127.0.0.1", port: port, accessKeyID: CloudClientTests.accessKey, secretKey: CloudClientTests.secret,
            instanceID: "test", clientID: clientID)
        configuration.tls = tls
        return CloudClient(configuration: configuration)
    }

    @Test("Consume and send over TLS, the certificate checked against its trust root and host name")
    func roundTrip() async throws {
        try await Self.withTLSBroker { port, certificate in
            let consumer = Self.client(port, "GID_backend@@@tls", tls: CloudTLS(trustRootsFile: certificate))
            let sender = Self.client(
                port, "GID_sender@@@tls", tls: CloudTLS(trustRootsFile: certificate, serverHostname: "localhost"))
            try await consumer.connect()
            try await sender.connect()
            var messages = try await consumer.consume(parentTopic: "secure", group: "GID_backend").makeAsyncIterator()
            try await sender.send(topic: "secure/1", payload: "over TLS")
            let message = try #require(await messages.next())
            #expect(message.payloadString == "over TLS")
            #expect(message.publisherClientID == "GID_sender@@@tls")
            message.ack()
            await consumer.close()
            await sender.close()
        }
    }

    @Test("A certificate the client does not trust fails connect(); a trust file that is not there is invalidArgument")
    func untrusted() async throws {
        let other = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: other) }
        let stranger = try DevelopmentCertificate.write(to: other).certificatePath
        try await Self.withTLSBroker { port, _ in
            let untrusting = Self.client(port, "GID_backend@@@x", tls: CloudTLS(trustRootsFile: stranger))
            await #expect(throws: CloudError.self) { try await untrusting.connect() }
            let missingFile = Self.client(port, "GID_backend@@@z", tls: CloudTLS(trustRootsFile: "/nonexistent.pem"))
            let error = await #expect(throws: CloudError.self) { try await missingFile.connect() }
            #expect(error?.code == .invalidArgument)
        }
    }
}
