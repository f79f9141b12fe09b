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
import NIOCore
import SwiftletAuth
import SwiftletMQTT

/// Checks the credentials of a CONNECT (DESIGN §6): signature, device-credential and token modes
/// against the configured access keys, and anonymous access. A pure value: no I/O, no clock of
/// its own, so every rule is tested without a connection.
package struct Authenticator: Sendable {
    /// The outcome of a CONNECT's credentials.
    package enum Result: Sendable, Hashable {
        case accepted(ClientIdentity)
        /// CONNACK code (3.1.1 return codes follow from it) and a reason for the log; the reason
        /// never quotes a secret or a password.
        case refused(ReasonCode, String)
    }

    private let keys: [String: AccessKey]
    private let instanceID: String?
    private let allowAnonymous: Bool
    private let passwordFile: PasswordFile?

    package init(configuration: BrokerConfiguration) {
        var keys: [String: AccessKey] = [:]
        for key in configuration.accessKeys { keys[key.id] = key }
        self.keys = keys
        self.instanceID = configuration.instanceID
        self.allowAnonymous = configuration.allowAnonymous
        self.passwordFile = configuration.passwordFile
    }

    /// The secret of an access key, for token verification.
    func secret(of accessKeyID: String) -> String? { keys[accessKeyID]?.secret }

    /// - Parameters:
    ///   - clientID: the client identifier as sent in CONNECT (what a signature signs).
    ///   - now: seconds since 1970, for token expiry.
    ///   - isRevoked: whether a token was revoked (the broker's ``TokenRevocationList``).
    ///   - modes: what the client's listener allows (DESIGN §6: combinable per listener).
    package func authenticate(
        clientID: String, username: String?, password: ByteBuffer?, now: UInt64,
        modes: AuthenticationModes = .all,
        isRevoked: (AccessToken) -> Bool = { _ in false }
    ) -> Result {
        guard let username else {
            guard allowAnonymous else { return .refused(.notAuthorized, "anonymous access is disabled") }
            return modes.contains(.anonymous) ? .accepted(.anonymous) : Self.notOnThisListener(.anonymous)
        }
        guard let credential = ClientCredential(username: username) else {
            return .refused(.badUserNameOrPassword, "malformed credential user name")
        }
        if let mode = Self.mode(of: credential, passwordFile: passwordFile != nil), !modes.contains(mode) {
            return Self.notOnThisListener(mode)
        }
        let passwordBytes = password.map { Array($0.readableBytesView) } ?? []
        switch credential {
        case .plain(let user):
            guard let passwordFile else {
                // No password file: a plain user name is anonymous access with a name.
                return allowAnonymous
                    ? .accepted(.anonymous) : .refused(.badUserNameOrPassword, "unknown user (no password file)")
            }
            // With a password file a user name must come with its password, as in Mosquitto, even
            // when anonymous access is on; unknown users and wrong passwords get the same answer.
            guard passwordFile.check(user: user, password: passwordBytes) else {
                return .refused(.badUserNameOrPassword, "unknown user or wrong password")
            }
            return .accepted(ClientIdentity(kind: .password(username: user), role: .device, grants: nil))
        case .signature(let keyID, let instance):
            guard let key = keys[keyID], instanceMatches(instance) else {
                return .refused(.badUserNameOrPassword, "unknown access key or instance")
            }
            guard Signature.isValid(password: passwordBytes, secretKey: key.secret, clientID: clientID) else {
                return .refused(.badUserNameOrPassword, "signature does not match")
            }
            return .accepted(ClientIdentity(kind: .signed(accessKeyID: keyID), role: key.role, grants: nil))
        case .deviceCredential(let keyID, let instance):
            guard let key = keys[keyID], instanceMatches(instance) else {
                return .refused(.badUserNameOrPassword, "unknown access key or instance")
            }
            // The device's own secret, derived for this client ID (SwiftletAuth.DeviceSecret): a
            // device credential is always a device, whatever the role of the key it derives from.
            let deviceSecret = DeviceSecret.derive(accessKeySecret: key.secret, clientID: clientID)
            guard Signature.isValid(password: passwordBytes, secretKey: deviceSecret, clientID: clientID) else {
                return .refused(.badUserNameOrPassword, "device credential does not match")
            }
            return .accepted(ClientIdentity(kind: .signed(accessKeyID: keyID), role: .device, grants: nil))
        case .token(let keyID, let instance):
            guard keys[keyID] != nil, instanceMatches(instance) else {
                return .refused(.badUserNameOrPassword, "unknown access key or instance")
            }
            guard let text = String(validating: passwordBytes, as: UTF8.self), let tokens = TokenPassword(text) else {
                return .refused(
                    .badUserNameOrPassword, "token password is not RW|token, R|token|W|token, R|token or W|token")
            }
            let grants: [TokenGrant]
            switch checkTokens(tokens, accessKeyID: keyID, now: now, isRevoked: isRevoked) {
            case .granted(let checked): grants = checked
            case .refused(let code, let reason): return .refused(code, reason)
            }
            return .accepted(ClientIdentity(kind: .token(accessKeyID: keyID), role: .device, grants: grants))
        }
    }

    /// What checking the tokens of a token password gave.
    package enum TokenCheck: Sendable, Hashable {
        case granted([TokenGrant])
        /// The reason code a CONNECT is refused with, and a reason for the log and the client.
        case refused(ReasonCode, String)
    }

    /// Checks each token of a token password: it must verify under a known key's secret, be
    /// signed by `keyID` (the key the client named), not be expired or revoked, and allow what
    /// the password claims it for. Used at CONNECT and for tokens uploaded in a session.
    package func checkTokens(
        _ tokens: TokenPassword, accessKeyID keyID: String, now: UInt64, isRevoked: (AccessToken) -> Bool
    ) -> TokenCheck {
        var grants: [TokenGrant] = []
        for (actions, encoded) in tokens.tokens {
            let token: AccessToken
            do {
                token = try TokenCodec.verify(encoded, now: now) { secret(of: $0) }
            } catch {
                return .refused(.badUserNameOrPassword, "token refused: \(error.description)")
            }
            // A token is only good with the key that signed it.
            guard token.accessKeyID == keyID else {
                return .refused(.badUserNameOrPassword, "token issued for another access key")
            }
            guard !isRevoked(token) else { return .refused(.badUserNameOrPassword, "token revoked") }
            guard token.actions.isSuperset(of: actions) else {
                return .refused(.notAuthorized, "token does not allow \(actions.description)")
            }
            grants.append(TokenGrant(token, actions: actions))
        }
        return .granted(grants)
    }

    /// The mode a credential uses: a plain user name is `password` with a password file and
    /// `anonymous` (with a name) without one.
    private static func mode(of credential: ClientCredential, passwordFile: Bool) -> AuthenticationModes? {
        switch credential {
        case .plain: passwordFile ? .password : .anonymous
        case .signature: .signature
        case .deviceCredential: .deviceCredential
        case .token: .token
        }
    }

    /// 0x87 Not authorized (3.1.1: 5): the credentials may be fine, but not on this listener.
    private static func notOnThisListener(_ mode: AuthenticationModes) -> Result {
        .refused(.notAuthorized, "\(mode.name) authentication is not enabled on this listener")
    }

    private func instanceMatches(_ instance: String) -> Bool {
        instanceID.map { $0 == instance } ?? true
    }
}
