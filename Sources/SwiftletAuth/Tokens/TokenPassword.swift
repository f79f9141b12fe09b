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

/// The password of a token-mode CONNECT (DESIGN §6): `RW|{token}` for one token that reads and
/// writes, or `R|{token}|W|{token}` for a read token and a write token. `R|{token}` and
/// `W|{token}` alone are accepted too: without them a client holding only a read token (or only a
/// write token) could not connect at all, since `RW|{token}` claims more than the token grants.
package struct TokenPassword: Hashable, Sendable {
    /// Each token with the actions the client claims it for.
    package var tokens: [(actions: TokenActions, token: String)]

    package static func == (lhs: TokenPassword, rhs: TokenPassword) -> Bool {
        lhs.tokens.elementsEqual(rhs.tokens) { $0.actions == $1.actions && $0.token == $1.token }
    }

    package func hash(into hasher: inout Hasher) {
        for (actions, token) in tokens {
            hasher.combine(actions)
            hasher.combine(token)
        }
    }

    /// nil when the password is not of one of the two forms.
    package init?(_ password: String) {
        let parts = password.split(separator: "|", omittingEmptySubsequences: false)
        switch parts.count {
        case 2 where !parts[1].isEmpty:
            guard let actions = TokenActions(parts[0]) else { return nil }
            tokens = [(actions, String(parts[1]))]
        case 4 where parts[0] == "R" && parts[2] == "W" && !parts[1].isEmpty && !parts[3].isEmpty:
            tokens = [(.read, String(parts[1])), (.write, String(parts[3]))]
        default:
            return nil
        }
    }

    package init(tokens: [(actions: TokenActions, token: String)]) {
        self.tokens = tokens
    }

    /// The password text.
    package var text: String {
        tokens.map { "\($0.actions.description)|\($0.token)" }.joined(separator: "|")
    }
}
