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
import SwiftletMQTT

/// The `$SYS` topics of in-session token handling (docs/authentication.md). They are per
/// client: the broker writes a notice to the one connection it concerns and never routes it, and
/// an upload is consumed by the broker and never reaches subscribers.
package enum TokenTopics {
    /// A client publishes a fresh token here to renew its grants.
    package static let upload = "$SYS/uploadToken"
    /// The broker tells a client its token expires soon.
    package static let expireNotice = "$SYS/tokenExpireNotice"
    /// The broker tells a client an uploaded token was refused.
    package static let invalidNotice = "$SYS/tokenInvalidNotice"

    /// Whether any client may subscribe to `filter`: exactly one of the two notice topics.
    static func isNotice(_ filter: String) -> Bool {
        filter == expireNotice || filter == invalidNotice
    }
}

/// Token expiry, expiry notices, revocation and renewal of a token client (DESIGN §6). All of it
/// runs on the connection's loop; the grants are confined there.
extension MQTTConnectionHandler {
    // MARK: - Timers

    /// (Re)schedules, from the client's current grants, the disconnect at the earliest expiry
    /// (MQTT 5: 0x87 "token expired") and the notice `tokenExpireNotice` before it (at once when
    /// less than that is left).
    func scheduleTokenTimers() {
        cancelTokenTimers()
        occasionalTimers?.tokenNoticeDue = false
        occasionalTimers?.tokenExpiryNoticed = false
        guard let grants = identity.grants, let first = grants.map(\.expiresAt).min(), let context else { return }
        let timers = occasional
        let loop = context.eventLoop.assumeIsolated()
        let seconds = max(Int64(clamping: first) - Int64(clamping: WallClock.now()), 0)
        timers.tokenExpiry = loop.scheduleTask(in: .seconds(seconds)) {
            self.broker.stats.increment(.tokensExpiredInSession)
            self.logger.info("token expired, disconnecting")
            self.disconnectCause = .authExpired
            self.disconnect(reason: .notAuthorized, reasonString: "token expired")
        }
        let lead = broker.configuration.tokenExpireNotice
        let noticeIn = max(.seconds(seconds) - lead, .nanoseconds(0))
        timers.tokenNotice = loop.scheduleTask(in: noticeIn) {
            self.occasionalTimers?.tokenNotice = nil
            self.occasionalTimers?.tokenNoticeDue = true
            self.sendExpireNoticeIfDue()
        }
    }

    func cancelTokenTimers() {
        guard let timers = occasionalTimers else { return }
        timers.tokenExpiry?.cancel()
        timers.tokenExpiry = nil
        timers.tokenNotice?.cancel()
        timers.tokenNotice = nil
    }

    /// Tells the client, once per token, that its earliest token expires within the configured
    /// lead time. Called when the notice timer fires and when the client subscribes to the notice
    /// topic, so that a notice due at once (right after CONNACK) is not lost before the client's
    /// SUBSCRIBE arrives.
    func sendExpireNoticeIfDue() {
        guard let timers = occasionalTimers, timers.tokenNoticeDue, !timers.tokenExpiryNoticed, let grants = identity.grants,
            let first = grants.min(by: { $0.expiresAt < $1.expiresAt })
        else { return }
        let remaining = Int64(clamping: first.expiresAt) - Int64(clamping: WallClock.now())
        let json =
            "{\"tokenId\":\(StatusEvent.quoted(first.tokenID)),"
            + "\"type\":\(StatusEvent.quoted(first.actions.description)),"
            + "\"expiresAt\":\(first.expiresAt),\"remainingSeconds\":\(max(remaining, 0))}"
        timers.tokenExpiryNoticed = sendTokenNotice(topic: TokenTopics.expireNotice, json: json)
    }

    /// Writes a notice to this client alone, as a QoS 1 message (or the QoS it subscribed with,
    /// if lower). Returns false when the client has not subscribed to the topic: it gets nothing.
    @discardableResult
    func sendTokenNotice(topic: String, json: String) -> Bool {
        guard let session, let options = session.subscriptions[topic] else { return false }
        let message = RoutedMessage(
            topic: topic, payload: ByteBuffer(string: json), qos: .atLeastOnce, retain: false,
            properties: [.payloadFormatIndicator(1), .contentType("application/json")])
        var cache = PublishEncodingCache()
        let identifiers = options.subscriptionIdentifier.map { [$0] } ?? []
        if session.deliver(
            message, qos: min(message.qos, options.qos), retain: false, subscriptionIdentifiers: identifiers,
            now: session.eventLoop.now, cache: &cache)
        {
            flushIfNeeded()
        }
        return true
    }

    // MARK: - Revocation

    /// A token was revoked: if this client uses it, it is disconnected (MQTT 5: DISCONNECT 0x87
    /// "token revoked"; 3.1.1 has no DISCONNECT from the server and is just closed).
    package func tokenRevoked(_ key: RevokedTokenKey) {
        guard let grants = identity.grants,
            grants.contains(where: { $0.tokenID == key.tokenID && $0.accessKeyID == key.accessKeyID })
        else { return }
        broker.stats.increment(.tokensRevokedInSession)
        logger.info("token revoked, disconnecting", metadata: ["token.id": "\(key.tokenID)"])
        disconnectCause = .tokenRevoked
        disconnect(reason: .notAuthorized, reasonString: "token revoked")
    }

    // MARK: - Renewal

    /// A PUBLISH to `$SYS/uploadToken` from a token client: the uploaded tokens replace the
    /// grants for the actions they are uploaded for, and the expiry timers restart from them. A
    /// token that does not verify, was signed by another access key, or was revoked leaves the
    /// old grants in place, and the client hears why on `$SYS/tokenInvalidNotice` (and, MQTT 5
    /// QoS 1/2, in a PUBACK/PUBREC 0x87). The message is never routed.
    func uploadTokenReceived(_ publish: PublishPacket, session: SessionHandle) {
        guard case .token(let keyID) = identity.kind, let grants = identity.grants else { return }
        var refusal: String?
        var claimed: TokenActions = []
        // A token password is a few hundred bytes; a payload far larger is refused without copying it.
        let upload = publish.payload.readableBytes <= 16 * 1024 ? TokenUpload.parse(Array(publish.payload.readableBytesView)) : nil
        if let upload {
            claimed = upload.tokens.reduce([]) { $0.union($1.actions) }
            switch broker.authenticator.checkTokens(
                upload, accessKeyID: keyID, now: WallClock.now(), isRevoked: broker.revokedTokens.isRevoked)
            {
            case .granted(let fresh):
                identity.grants = Self.renewed(grants, with: fresh)
                scheduleTokenTimers()
                broker.stats.increment(.tokensRenewed)
                let ids = fresh.map(\.tokenID).joined(separator: ",")
                logger.info("token renewed", metadata: ["token.id": "\(ids)", "type": "\(claimed.description)"])
                dropSubscriptionsOutsideGrants(session: session)
            case .refused(_, let reason):
                refusal = reason
            }
        } else {
            refusal = "payload is not {\"token\":\"…\",\"type\":\"R|W|RW\"} or a token password"
        }
        if let refusal {
            broker.stats.increment(.tokenUploadsRefused)
            // Debug, not info: a client could send refusals at line rate; the counter tells operators.
            logger.debug("uploaded token refused", metadata: ["error": "\(refusal)"])
            let type = claimed.isEmpty ? "null" : StatusEvent.quoted(claimed.description)
            sendTokenNotice(
                topic: TokenTopics.invalidNotice, json: "{\"type\":\(type),\"reason\":\(StatusEvent.quoted(refusal))}")
        }
        acknowledgeUpload(publish, session: session, refusal: refusal)
    }

    /// A token's read grant decides what the client may receive: subscriptions the new grants no
    /// longer cover are removed, as if the client had unsubscribed (MQTT has no server-side
    /// UNSUBSCRIBE to tell it; the log says which). The notice topics are not the grants' business.
    private func dropSubscriptionsOutsideGrants(session: SessionHandle) {
        guard let grants = identity.grants else { return }
        for filter in session.subscriptions.keys where !TokenTopics.isNotice(filter) {
            let inner: String
            switch SharedSubscriptionFilter.parse(filter) {
            case .plain(let plain): inner = plain
            case .shared(_, let shared): inner = shared
            case .invalid: continue
            }
            guard !grants.allowsSubscribe(to: inner) else { continue }
            if session.removeSubscription(filter) { broker.unsubscribe(session, filter: filter) }
            logger.info("subscription outside the renewed token removed", metadata: ["filter": "\(filter)"])
        }
    }

    /// The grants after an upload: each uploaded token takes over its actions from the old
    /// grants (an `R` upload replaces what was read with, leaving writing to the old token; `RW`
    /// replaces both), and old grants left with no action go.
    static func renewed(_ old: [TokenGrant], with fresh: [TokenGrant]) -> [TokenGrant] {
        var grants = old
        for grant in fresh {
            grants = grants.compactMap { existing in
                var kept = existing
                kept.actions.subtract(grant.actions)
                return kept.actions.isEmpty ? nil : kept
            }
            grants.append(grant)
        }
        return grants
    }

    private func acknowledgeUpload(_ publish: PublishPacket, session: SessionHandle, refusal: String?) {
        let packetID = publish.packetID ?? 0
        let code: ReasonCode = refusal == nil || protocolVersion != .v5 ? .success : .notAuthorized
        let properties = refusal.map(reasonProperties) ?? []
        switch publish.qos {
        case .atMostOnce:
            break
        case .atLeastOnce:
            writePacket(.puback(AckPacket(packetID: packetID, reasonCode: code, properties: properties)))
        case .exactlyOnce:
            // Recorded so that PUBREL completes normally [MQTT-4.3.3-10], within the same Receive
            // Maximum as any QoS 2 PUBLISH (MQTT 5 §4.9): uploads must not grow the set unbounded.
            if code == .success, !session.hasReceivedQoS2(packetID) {
                guard session.inboundQoS2Count < broker.configuration.maxInflight || protocolVersion != .v5 else {
                    protocolViolation(.receiveMaximumExceeded, "receive maximum exceeded")
                    return
                }
                _ = session.receivedQoS2(packetID)
            }
            writePacket(.pubrec(AckPacket(packetID: packetID, reasonCode: code, properties: properties)))
        }
    }
}
