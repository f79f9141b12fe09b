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
import ArgumentParser
import Foundation
import SwiftletAuth

/// The access key and instance that `sign` and `token` build credentials for.
struct AccessKeyOptions: ParsableArguments {
    @Option(name: .long, help: "Access key ID (the device access key ID with sign --device).")
    var accessKey: String

    @Option(name: .long, help: "The secret key of that access key.")
    var secretKey: String

    @Option(name: .long, help: "Instance ID.")
    var instance: String = "swiftlet"
}

/// `swiftlet sign`: the user name and password of a signature-mode client, for testing.
struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Print the MQTT user name and password of a signature-mode client.",
        discussion: """
            The password is Base64(HMAC-SHA1(SecretKey, ClientId)). With --device it is a device
            credential: the user name is DeviceCredential|KEY|INSTANCE and the HMAC is keyed with the
            device's own secret, derived from the key's secret and the client ID (printed as
            'device secret', for the device to keep; docs/authentication.md).
            """
    )

    @OptionGroup var key: AccessKeyOptions

    @Option(name: .long, help: "The client ID the client will connect with.")
    var clientId: String

    @Flag(name: .long, help: "Device credential mode.")
    var device = false

    func run() throws {
        guard device else {
            let credential = ClientCredential.signature(accessKeyID: key.accessKey, instanceID: key.instance)
            print("username: \(credential.username)")
            print("password: \(Signature.password(secretKey: key.secretKey, clientID: clientId))")
            return
        }
        let credential = ClientCredential.deviceCredential(deviceAccessKeyID: key.accessKey, instanceID: key.instance)
        let deviceSecret = DeviceSecret.derive(accessKeySecret: key.secretKey, clientID: clientId)
        print("username: \(credential.username)")
        print("password: \(Signature.password(secretKey: deviceSecret, clientID: clientId))")
        print("device secret: \(deviceSecret)")
    }
}

/// `swiftlet token`: issues a token offline with an access key's secret, for testing.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Issue a token for token-mode clients (signed with an access key's secret).",
        discussion: """
            Prints the token, the user name Token|KEY|INSTANCE and the password: RW|TOKEN, or
            R|TOKEN / W|TOKEN for a read-only or write-only token (which the broker accepts alone,
            or combined as R|TOKEN|W|TOKEN2). A broker that knows the access key accepts the token
            until it expires, also after a restart.
            """
    )

    @OptionGroup var key: AccessKeyOptions

    @Option(name: .long, help: "Topic filter the token covers (repeatable, 1 to 100).")
    var filter: [String]

    @Option(name: .long, help: "R, W or RW (default RW).")
    var actions: String = "RW"

    @Option(name: .long, help: "Lifetime in seconds, 60 to 2592000 (default 3600).")
    var ttl: UInt64 = 3600

    func run() throws {
        guard let actions = TokenActions(self.actions) else {
            throw ValidationError("--actions: expected R, W or RW, got '\(self.actions)'")
        }
        let now = UInt64(Date().timeIntervalSince1970)
        let issued: (token: AccessToken, encoded: String)
        do {
            issued = try TokenCodec.issue(
                accessKeyID: key.accessKey, secretKey: key.secretKey, filters: filter, actions: actions, lifetime: ttl,
                now: now)
        } catch {
            throw ValidationError(error.description)
        }
        print("token: \(issued.encoded)")
        print("token id: \(issued.token.id)")
        print("expires: \(issued.token.expiresAt) (unix seconds)")
        print("username: \(ClientCredential.token(accessKeyID: key.accessKey, instanceID: key.instance).username)")
        print("password: \(TokenPassword(tokens: [(actions, issued.encoded)]).text)")
    }
}
