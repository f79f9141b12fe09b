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
import NIOSSL
import SwiftASN1
import X509

/// TLS for the MQTT/TLS (8883) and HTTPS/WSS (8443) listeners: TLS 1.2 or later, the server
/// certificate and key from PEM files, optional client-certificate verification.
package struct TLSSettings: Sendable, Hashable {
    /// Whether and how client certificates are verified.
    package enum ClientVerification: String, Sendable, Hashable, CaseIterable {
        /// No client certificate is asked for.
        case none
        /// A client certificate is asked for and verified if presented.
        case optional
        /// A verified client certificate is required.
        case require
    }

    package var certificatePath: String
    package var privateKeyPath: String
    /// PEM file of the CAs client certificates must chain to (needed for optional/require).
    package var caPath: String?
    package var clientVerification: ClientVerification = .none
    /// Use the client certificate's common name as the MQTT user name.
    package var commonNameAsUsername = false

    package init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }

    /// Builds the context once; every connection of a listener shares it (STYLE §0, swift-nio-ssl).
    package func makeContext() throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        switch clientVerification {
        case .none:
            configuration.certificateVerification = .none
        case .optional:
            configuration.certificateVerification = .optionalVerification
        case .require:
            configuration.certificateVerification = .noHostnameVerification
        }
        if clientVerification != .none {
            guard let caPath else { throw TLSSettingsError("tls-verify-clients needs tls-ca") }
            configuration.trustRoots = .file(caPath)
            configuration.sendCANameList = true
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// The common name of a peer certificate, for `commonNameAsUsername`.
    package static func commonName(of certificate: NIOSSLCertificate) -> String? {
        guard let der = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: der) else {
            return nil
        }
        for relativeName in parsed.subject {
            for attribute in relativeName where attribute.type == .RDNAttributeType.commonName {
                return attribute.value.description
            }
        }
        return nil
    }
}

package struct TLSSettingsError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
