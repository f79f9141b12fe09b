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
import Crypto
import Foundation
import SwiftASN1
import X509

/// `swiftlet dev-cert DIR`: a self-signed certificate for `localhost`, `127.0.0.1` and `::1`, so
/// a developer can try MQTT/TLS and WSS in one step. Never for production: browsers must be told
/// to trust it, and anyone with the key can impersonate the server.
package enum DevelopmentCertificate {
    package struct Written: Sendable {
        package var certificatePath: String
        package var privateKeyPath: String
    }

    /// Writes `cert.pem` and `key.pem` (P-256, valid 30 days) into `directory`, creating it.
    package static func write(to directory: String, now: Date = Date()) throws -> Written {
        let key = P256.Signing.PrivateKey()
        let certificateKey = Certificate.PrivateKey(key)
        let name = try DistinguishedName {
            OrganizationName("Swiftlet development")
            CommonName("localhost")
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: certificateKey.publicKey,
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(30 * 24 * 3600),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                KeyUsage(digitalSignature: true, keyCertSign: true)
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames([
                    .dnsName("localhost"),
                    .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                    .ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
                ])
            },
            issuerPrivateKey: certificateKey)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certificatePath = (directory as NSString).appendingPathComponent("cert.pem")
        let privateKeyPath = (directory as NSString).appendingPathComponent("key.pem")
        try certificate.serializeAsPEM().pemString.write(toFile: certificatePath, atomically: true, encoding: .utf8)
        try key.pemRepresentation.write(toFile: privateKeyPath, atomically: true, encoding: .utf8)
        // The key is a secret: readable by its owner only.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: privateKeyPath)
        return Written(certificatePath: certificatePath, privateKeyPath: privateKeyPath)
    }
}
