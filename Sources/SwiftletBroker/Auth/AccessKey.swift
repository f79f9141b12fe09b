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

/// An access key the broker knows: its secret signs client passwords and tokens (DESIGN §6).
package struct AccessKey: Sendable, Hashable {
    /// What a client authenticated with this key may do.
    package enum Role: String, Sendable, Hashable, CaseIterable {
        /// A phone, a browser, a device: ordinary topics only.
        case device
        /// A backend: also `$SYS/#` (DESIGN §7).
        case cloud
    }

    package var id: String
    package var secret: String
    package var role: Role

    package init(id: String, secret: String, role: Role) {
        self.id = id
        self.secret = secret
        self.role = role
    }
}

/// Who a connected client is, as authentication established it.
package struct ClientIdentity: Sendable, Hashable {
    package enum Kind: Sendable, Hashable {
        /// No credentials checked (anonymous access, or a plain user name with no password file).
        case anonymous
        /// `Signature|…` or `DeviceCredential|…` with a valid HMAC.
        case signed(accessKeyID: String)
        /// `Token|…` with valid tokens: only what they grant.
        case token(accessKeyID: String)
        /// A plain user name whose password matched the password file.
        case password(username: String)
        /// A client certificate verified by TLS, its common name standing for the user name
        /// (`tls-cn-as-username`).
        case certificate(commonName: String)
    }

    package var kind: Kind
    package var role: AccessKey.Role
    /// What token-mode clients may do: topic filters with actions. nil for no restriction.
    package var grants: [TokenGrant]?

    package static let anonymous = ClientIdentity(kind: .anonymous, role: .device, grants: nil)

    package init(kind: Kind, role: AccessKey.Role, grants: [TokenGrant]?) {
        self.kind = kind
        self.role = role
        self.grants = grants
    }
}
