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

/// The ways a listener lets clients authenticate (DESIGN §6: modes, combinable per listener).
///
/// A listener can only narrow what the broker's configuration allows: `anonymous` still needs
/// `allow-anonymous`, `password` a password file, the key-based modes access keys, `certificate` a
/// TLS listener that verifies client certificates with `tls-cn-as-username`. One byte per
/// connection, so every handler can carry its listener's modes.
package struct AuthenticationModes: OptionSet, Sendable, Hashable, CustomStringConvertible {
    package let rawValue: UInt8

    package init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// No user name, or a plain user name without a password file.
    package static let anonymous = AuthenticationModes(rawValue: 1 << 0)
    /// A user name and password checked against the password file.
    package static let password = AuthenticationModes(rawValue: 1 << 1)
    /// `Signature|{AccessKeyId}|{InstanceId}`.
    package static let signature = AuthenticationModes(rawValue: 1 << 2)
    /// `DeviceCredential|{DeviceAccessKeyId}|{InstanceId}`.
    package static let deviceCredential = AuthenticationModes(rawValue: 1 << 3)
    /// `Token|{AccessKeyId}|{InstanceId}`.
    package static let token = AuthenticationModes(rawValue: 1 << 4)
    /// A client certificate that TLS verified, its common name as the user name.
    package static let certificate = AuthenticationModes(rawValue: 1 << 5)

    package static let all: AuthenticationModes = [
        .anonymous, .password, .signature, .deviceCredential, .token, .certificate,
    ]

    /// The names of the modes in configuration files and flags, in this order in descriptions.
    package static let names: [(name: String, mode: AuthenticationModes)] = [
        ("anonymous", .anonymous), ("password", .password), ("signature", .signature),
        ("device-credential", .deviceCredential), ("token", .token), ("certificate", .certificate),
    ]

    /// Parses `all` or a comma-separated list of mode names (`signature,token`); nil for an empty
    /// list or an unknown name.
    package init?(list: String) {
        if list.trimmingSpaces == "all" {
            self = .all
            return
        }
        var modes: AuthenticationModes = []
        for item in list.split(separator: ",") {
            let name = String(item).trimmingSpaces
            guard let mode = Self.names.first(where: { $0.name == name })?.mode else { return nil }
            modes.insert(mode)
        }
        guard !modes.isEmpty else { return nil }
        self = modes
    }

    /// `all`, or the names of the modes separated by commas.
    package var description: String {
        self == .all ? "all" : Self.names.filter { contains($0.mode) }.map(\.name).joined(separator: ",")
    }

    /// The name of one mode, for refusals and logs.
    package var name: String { description }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(self.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
