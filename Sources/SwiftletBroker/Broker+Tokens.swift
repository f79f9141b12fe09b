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
import Logging
import NIOCore
import SwiftletAuth

/// Token revocation and query (DESIGN §6), the package API behind the admin API's token routes.
extension Broker {
    /// Describes a token: valid, revoked or expired, with what it grants.
    ///
    /// - Parameters:
    ///   - token: the encoded token, as issued.
    ///   - now: seconds since 1970.
    /// - Returns: the status, or ``TokenQueryError/Code/invalidToken`` when the token is
    ///   malformed, forged, or signed by an access key this broker does not know.
    package func tokenStatus(_ token: String, now: UInt64 = WallClock.now()) -> Result<TokenStatus, TokenQueryError> {
        verifiedToken(token).map { token in
            TokenStatus(state: state(of: token, now: now), token: token)
        }
    }

    /// Revokes a token until it would have expired: new CONNECTs with it are refused (0x86), and
    /// every connected client that uses it is disconnected (MQTT 5: DISCONNECT 0x87 "token
    /// revoked"; 3.1.1: closed), each by its own event loop. Revoking a revoked or expired token
    /// changes nothing and reports its state.
    ///
    /// The list is in memory: revocations do not survive a restart (until the SQLite store).
    ///
    /// - Returns: the token's status after the call (`revoked`, or `expired`), or an error:
    ///   ``TokenQueryError/Code/invalidToken`` as for ``tokenStatus(_:now:)``,
    ///   ``TokenQueryError/Code/revocationListFull`` past `maxRevokedTokens`.
    @discardableResult
    package func revokeToken(_ token: String, now: UInt64 = WallClock.now()) -> Result<TokenStatus, TokenQueryError> {
        let verified: AccessToken
        switch verifiedToken(token) {
        case .success(let token): verified = token
        case .failure(let error): return .failure(error)
        }
        if verified.isExpired(now: now) { return .success(TokenStatus(state: .expired, token: verified)) }
        let key = RevokedTokenKey(verified)
        switch revokedTokens.revoke(key, expiresAt: verified.expiresAt, now: now) {
        case .full:
            logger.warning("token revocation list full", metadata: ["limit": "\(configuration.maxRevokedTokens)"])
            return .failure(TokenQueryError(.revocationListFull, "too many revoked tokens"))
        case .alreadyRevoked:
            break
        case .revoked:
            stats.increment(.tokensRevoked)
            // The token ID is what revocations and logs name; the token itself is a credential.
            logger.info("token revoked", metadata: ["token.id": "\(key.tokenID)", "access.key": "\(key.accessKeyID)"])
            disconnectClients(using: key)
        }
        return .success(TokenStatus(state: .revoked, token: verified))
    }

    /// Whether any of a connection's grants comes from a revoked token.
    func isRevoked(_ grants: [TokenGrant]) -> Bool {
        grants.contains { revokedTokens.isRevoked(RevokedTokenKey(accessKeyID: $0.accessKeyID, tokenID: $0.tokenID)) }
    }

    private func verifiedToken(_ token: String) -> Result<AccessToken, TokenQueryError> {
        do {
            return .success(try TokenCodec.verifySignature(token) { authenticator.secret(of: $0) })
        } catch {
            return .failure(TokenQueryError(.invalidToken, error.description))
        }
    }

    private func state(of token: AccessToken, now: UInt64) -> TokenStatus.State {
        if token.isExpired(now: now) { return .expired }
        return revokedTokens.isRevoked(token) ? .revoked : .valid
    }

    /// One task per event loop, which asks each of its connections whether it uses the token:
    /// a connection's grants are confined to its loop, so no lock guards them. A connection
    /// that is still opening its session when this runs checks the list itself once it is open
    /// (MQTTConnectionHandler.sessionOpened), so none slips through.
    private func disconnectClients(using key: RevokedTokenKey) {
        var byLoop: [(loop: any EventLoop, sessions: [SessionHandle])] = []
        for session in registeredSessions() {
            if let index = byLoop.firstIndex(where: { $0.loop === session.eventLoop }) {
                byLoop[index].sessions.append(session)
            } else {
                byLoop.append((session.eventLoop, [session]))
            }
        }
        for (loop, sessions) in byLoop {
            loop.execute {
                for session in sessions { session.connection?.tokenRevoked(key) }
            }
        }
    }
}
