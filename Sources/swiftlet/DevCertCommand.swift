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
import SwiftletServer

struct DevCertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-cert",
        abstract: "Write a self-signed certificate for localhost, to try MQTT/TLS and WSS locally.",
        discussion: """
            Writes DIR/cert.pem and DIR/key.pem (P-256, valid 30 days, for localhost, 127.0.0.1
            and ::1). Then run:

                swiftlet serve --tls-cert DIR/cert.pem --tls-key DIR/key.pem

            and tell your browser or client to trust DIR/cert.pem. For development only.
            """
    )

    @Argument(help: "The directory to write cert.pem and key.pem into (created if missing).")
    var directory: String

    func run() throws {
        let written = try DevelopmentCertificate.write(to: directory)
        print("wrote \(written.certificatePath) and \(written.privateKeyPath)")
        print("run: swiftlet serve --tls-cert \(written.certificatePath) --tls-key \(written.privateKeyPath)")
    }
}
