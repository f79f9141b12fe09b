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
import SwiftletAuth

/// What the broker knows of a token, for the admin API (`Broker.tokenStatus(_:)`,
/// `Broker.revokeToken(_:)`).
package struct TokenStatus: Sendable, Hashable {
    package enum State: String, Sendable, Hashable {
        /// Signed by a known key, not expired, not revoked: a client may connect with it.
        case valid
        case revoked
        case expired
    }

    package var state: State
    package var token: AccessToken

    package init(state: State, token: AccessToken) {
        self.state = state
        self.token = token
    }

    /// `{"state":"valid","tokenId":"…","accessKeyId":"…","actions":"RW","filters":["…"],"expiresAt":1795314205}`,
    /// keys in this order; `expiresAt` in seconds since 1970.
    package var json: String {
        let filters = token.filters.map(StatusEvent.quoted).joined(separator: ",")
        return "{\"state\":\(StatusEvent.quoted(state.rawValue)),\"tokenId\":\(StatusEvent.quoted(token.id)),"
            + "\"accessKeyId\":\(StatusEvent.quoted(token.accessKeyID)),"
            + "\"actions\":\(StatusEvent.quoted(token.actions.description)),\"filters\":[\(filters)],"
            + "\"expiresAt\":\(token.expiresAt)}"
    }
}

/// Why a token could not be revoked or described.
package struct TokenQueryError: Error, Sendable, Hashable, CustomStringConvertible {
    package enum Code: Sendable, Hashable {
        /// Not a token, a forged one, or signed by a key this broker does not know (HTTP 400).
        case invalidToken
        /// The revocation list is full (HTTP 503).
        case revocationListFull
    }

    package var code: Code
    package var description: String

    package init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
