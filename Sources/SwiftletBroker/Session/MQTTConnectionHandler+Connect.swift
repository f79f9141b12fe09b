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
import DequeModule
import Logging
import NIOCore
import SwiftletMQTT

extension MQTTConnectionHandler {
    /// The longest client identifier accepted, in UTF-8 bytes.
    static let maxClientIDLength = 256

    /// CONNECT arrived (MQTT 5 §3.1.4): validate, then open the session; CONNACK follows when it
    /// is open.
    func connectReceived(_ connect: ConnectPacket) {
        protocolVersion = connect.version
        let configuration = broker.configuration

        if broker.stats[.connectionsCurrent] > configuration.maxConnections {
            refuseConnect(.quotaExceeded, reasonString: "too many connections")
            return
        }
        if connect.version == .v5, connect.properties.authenticationMethod != nil {
            // Enhanced authentication (MQTT 5 §4.12) is not offered [MQTT-4.12.0-1].
            refuseConnect(.badAuthenticationMethod, reasonString: "enhanced authentication is not supported")
            return
        }
        if !authenticate(connect) { return }
        // The name that logged in: the certificate's only when the certificate was the login (a
        // listener without the certificate mode checks the CONNECT's credentials instead).
        if case .certificate(let commonName) = identity.kind {
            connectUsername = commonName
        } else {
            connectUsername = connect.username
        }

        var clientID = connect.clientID
        var assignedClientID: String? = nil
        if clientID.isEmpty {
            switch connect.version {
            case .v3_1:
                // MQTT 3.1 requires 1 to 23 characters.
                refuseConnect(.clientIdentifierNotValid, reasonString: nil)
                return
            case .v3_1_1 where !connect.cleanStart:
                // [MQTT-3.1.3-8]: an empty ID needs clean session 1, else return code 0x02.
                refuseConnect(.clientIdentifierNotValid, reasonString: nil)
                return
            case .v3_1_1, .v5:
                // [MQTT-3.1.3-6]; MQTT 5 clients are told the ID [MQTT-3.2.2-16].
                clientID = Self.makeClientID()
                if connect.version == .v5 { assignedClientID = clientID }
            }
        }
        guard clientID.utf8.count <= Self.maxClientIDLength else {
            refuseConnect(.clientIdentifierNotValid, reasonString: "client identifier too long")
            return
        }
        guard !clientID.hasPrefix("$") else {
            // Reserved for the broker's own publishers (`$admin` of the admin API), which cloud
            // subscribers see as the `clientId` property: a client must not pass for one.
            refuseConnect(.clientIdentifierNotValid, reasonString: "client identifiers starting with $ are reserved")
            return
        }
        if let will = connect.will {
            if let problem = topicNameProblem(will.topic) {
                refuseConnect(.topicNameInvalid, reasonString: "will topic: \(problem)")
                return
            }
            // A will is published as if the client had sent it: the same rules apply (DESIGN §6).
            let subject = AccessSubject(clientID: clientID, username: connectUsername, identity: identity)
            if let refusal = publishRefusal(topic: will.topic, subject: subject) {
                refuseConnect(.notAuthorized, reasonString: "will: \(refusal)")
                return
            }
        }

        self.clientID = clientID  // in every log line of this connection from now on

        // Limits the client states for what the server sends it (MQTT 5 §3.1.2.11).
        let properties = connect.properties
        if connect.version == .v5 {
            clientReceiveMaximum = Int(properties.receiveMaximum ?? UInt16.max)
            clientMaximumPacketSize = Int(properties.maximumPacketSize ?? UInt32.max)
            clientTopicAliasMaximum = properties.topicAliasMaximum ?? 0
            sendReasonStrings = (properties.requestProblemInformation ?? 1) != 0
        }

        // Session expiry: MQTT 5 asks for it; a 3.1.1 persistent session lasts as long as allowed.
        let requestedExpiry: UInt32
        if connect.version == .v5 {
            requestedExpiry = properties.sessionExpiryInterval ?? 0
        } else {
            requestedExpiry = connect.cleanStart ? 0 : UInt32.max
        }
        connectSessionExpiry = requestedExpiry
        let grantedExpiry = min(requestedExpiry, configuration.maxSessionExpiry)
        if grantedExpiry > 0, broker.stats[.persistentSessions] >= configuration.maxSessions,
            broker.session(clientID: clientID)?.isPersistent != true
        {
            // Persistent sessions outlive their connections, so max-connections does not bound
            // them: one more would take memory nobody is connected to use. Resuming one is fine.
            // 3.1.1 gets return code 3 (server unavailable) for 0x97.
            broker.stats.increment(.sessionsRejected)
            refuseConnect(.quotaExceeded, reasonString: "too many persistent sessions")
            return
        }

        keepAlive = connect.keepAlive
        var serverKeepAlive: UInt16? = nil
        if configuration.maxKeepAlive > 0, connect.version == .v5,
            connect.keepAlive == 0 || connect.keepAlive > configuration.maxKeepAlive
        {
            // The client must use the server's value [MQTT-3.2.2-21].
            keepAlive = configuration.maxKeepAlive
            serverKeepAlive = configuration.maxKeepAlive
        }

        logger.debug(
            "CONNECT",
            metadata: [
                "version": "\(connect.version)", "clean.start": "\(connect.cleanStart)",
                "keepalive": "\(keepAlive)", "transport": "\(transport)",
            ])

        let pending = PendingConnect(
            cleanStart: connect.cleanStart,
            grantedExpiry: grantedExpiry,
            requestedExpiry: requestedExpiry,
            assignedClientID: assignedClientID,
            serverKeepAlive: serverKeepAlive,
            will: connect.will)
        guard let context else { return }
        let eventLoop = context.eventLoop
        broker.openSession(clientID: clientID, cleanStart: connect.cleanStart, on: eventLoop)
            .hop(to: eventLoop)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let opened):
                    self.sessionOpened(opened, pending)
                case .failure(let error):
                    self.logger.error("opening the session failed", metadata: ["error": "\(error)"])
                    self.refuseConnect(.unspecifiedError, reasonString: nil)
                }
            }
    }

    /// Checks the CONNECT's credentials (DESIGN §6); refuses the connection and returns false
    /// when they fail. Failures are rate-limited per source address: past the address's budget a
    /// failure is answered 0x9F, and password-file credentials are not even checked
    /// (``AuthFailureLimiter/CheckOrder``). Neither the password nor a secret ever reaches a log
    /// line.
    private func authenticate(_ connect: ConnectPacket) -> Bool {
        if authenticationModes.contains(.certificate), let commonName = certificateUsername?() {
            // TLS verified the client's certificate: that is the authentication (DESIGN §6).
            identity = ClientIdentity(kind: .certificate(commonName: commonName), role: .device, grants: nil)
            return true
        }
        // Rendered only when the failure limiter needs it: `ipAddress` formats the address with
        // inet_ntop, about 3,500 instructions, and an accepted client never needs it.
        var address: String { remoteAddress?.ipAddress ?? "unknown" }
        let now = context?.eventLoop.now ?? .now()
        let order = AuthFailureLimiter.checkOrder(
            username: connect.username, hasPasswordFile: broker.configuration.passwordFile != nil)
        if order == .throttleFirst, !broker.authFailures.mayAttempt(address, now: now) {
            refuseThrottled()
            return false
        }
        switch broker.authenticator.authenticate(
            clientID: connect.clientID, username: connect.username, password: connect.password, now: WallClock.now(),
            modes: authenticationModes, isRevoked: broker.revokedTokens.isRevoked)
        {
        case .accepted(let identity):
            // Whatever the address's failures: a client behind the same NAT as a guesser gets in.
            self.identity = identity
            scheduleTokenTimers()
            return true
        case .refused(let reason, let detail):
            guard broker.authFailures.failed(address, now: now) else {
                refuseThrottled()
                return false
            }
            broker.stats.increment(.authenticationFailures)
            refuseConnect(reason, reasonString: detail)
            return false
        }
    }

    /// 0x9F (3.1.1: return code 3): the address failed too often; counted apart from
    /// `authenticationFailures`, so that the two add up to the CONNECTs refused for their
    /// credentials.
    private func refuseThrottled() {
        broker.stats.increment(.authenticationThrottled)
        refuseConnect(.connectionRateExceeded, reasonString: "too many failed authentication attempts")
    }

    // MARK: - Status events (DESIGN §7)

    /// What a connection keeps of its acceptance for its status events and the admin API.
    struct Acceptance {
        /// When CONNACK was sent, in milliseconds since 1970.
        var time: UInt64
        var channelID: ChannelID
        var cleanStart: Bool
    }

    /// The connection's connect status event (DESIGN §7): who is connected and how; nil until the
    /// client was accepted. Built from the handler's fields each time, as they do not change once
    /// the client is accepted.
    var connectEvent: StatusEvent? { acceptance.map(connectEvent(_:)) }

    private func connectEvent(_ acceptance: Acceptance) -> StatusEvent {
        StatusEvent(
            kind: .connect, clientID: clientID, username: connectUsername, ip: remoteAddress?.ipAddress,
            port: remoteAddress?.port, transport: transport, protocolVersion: protocolVersion, keepAlive: keepAlive,
            cleanStart: acceptance.cleanStart, time: acceptance.time, channelID: acceptance.channelID.description)
    }

    private func publishConnectEvent(cleanStart: Bool) {
        let accepted = Acceptance(time: WallClock.milliseconds(), channelID: broker.nextChannelID(), cleanStart: cleanStart)
        acceptance = accepted
        guard broker.configuration.statusEvents else { return }
        broker.publishStatusEvent(connectEvent(accepted), on: context?.eventLoop, session: session)
    }

    /// Once per accepted connection, when it ends: `disconnect` after the client's DISCONNECT,
    /// `tcpclean` otherwise, with the reason.
    func publishDisconnectEvent() {
        guard let accepted = acceptance else { return }
        acceptance = nil
        guard broker.configuration.statusEvents else { return }
        var event = connectEvent(accepted)
        event.time = WallClock.milliseconds()
        if let clientReason = clientDisconnectReason, serverDisconnectReason == nil {
            event.kind = .disconnect
            event.reason = .clean
            event.reasonCode = clientReason.rawValue
        } else {
            event.kind = .tcpclean
            event.reason =
                disconnectCause ?? serverDisconnectReason.map(StatusEvent.Reason.init(serverDisconnect:)) ?? .connectionLost
            event.reasonCode = serverDisconnectReason?.rawValue
        }
        broker.publishStatusEvent(event, on: context?.eventLoop, session: session)
    }

    struct PendingConnect {
        var cleanStart: Bool
        var grantedExpiry: UInt32
        var requestedExpiry: UInt32
        var assignedClientID: String?
        var serverKeepAlive: UInt16?
        var will: WillMessage?
    }

    private func sessionOpened(_ opened: Broker.OpenedSession, _ pending: PendingConnect) {
        let session = opened.session
        let willDelay = pending.will?.properties.willDelayInterval ?? 0
        session.attach(self, expiryInterval: pending.grantedExpiry, will: pending.will, willDelay: willDelay)
        guard machine.state == .openingSession, context != nil else {
            // The client went away while its session opened: end this connection's turn now.
            session.connectionClosed(self, publishWill: true)
            return
        }
        if let grants = identity.grants, broker.isRevoked(grants) {
            // Revoked while the session opened: the revocation's sweep may have run before this
            // connection was attached, so the list is checked once more (Broker+Tokens.swift).
            session.connectionClosed(self, publishWill: false)
            refuseConnect(.badUserNameOrPassword, reasonString: "token revoked")
            return
        }
        self.session = session
        publishConnectEvent(cleanStart: pending.cleanStart)

        var properties = Properties()
        if protocolVersion == .v5 {
            let configuration = broker.configuration
            if configuration.maxInflight < Int(UInt16.max) {
                properties.append(.receiveMaximum(UInt16(configuration.maxInflight)))
            }
            properties.append(.maximumPacketSize(UInt32(clamping: configuration.maxPacketSize)))
            if configuration.topicAliasMaximum > 0 {
                properties.append(.topicAliasMaximum(configuration.topicAliasMaximum))
            }
            if let assigned = pending.assignedClientID {
                properties.append(.assignedClientIdentifier(assigned))
            }
            if let serverKeepAlive = pending.serverKeepAlive {
                properties.append(.serverKeepAlive(serverKeepAlive))
            }
            if pending.grantedExpiry != pending.requestedExpiry {
                // The client must use the server's value [MQTT-3.2.2-?]: MQTT 5 §3.2.2.3.2.
                properties.append(.sessionExpiryInterval(pending.grantedExpiry))
            }
        }
        // Session Present is 0 for a clean start [MQTT-3.2.2-2], else whether a session resumed
        // [MQTT-3.2.2-3].
        writePacket(.connack(ConnAckPacket(sessionPresent: opened.sessionPresent, reasonCode: .success, properties: properties)))
        logger.debug("CONNACK", metadata: ["session.present": "\(opened.sessionPresent)"])

        let buffered = machine.sessionOpened(keepAlive: keepAlive, now: session.eventLoop.now)
        scheduleKeepAliveCheck()
        // A resumed session owes its inflight and queued messages; a new one may already hold
        // messages that reached it while it opened (p2p).
        session.resumeDelivery()
        for packet in buffered {
            guard machine.state == .connected else { break }
            process(packet)
        }
        flushIfNeeded()
        resumeReadingIfPaused()
    }

    /// Answers CONNECT with a failure and closes [MQTT-3.2.2-5]. 3.1/3.1.1 clients get the
    /// closest return code; Session Present is 0 [MQTT-3.2.2-4].
    func refuseConnect(_ reason: ReasonCode, reasonString: String?, version: ProtocolVersion? = nil) {
        broker.stats.increment(.connectionsRejected)
        let version = version ?? protocolVersion
        protocolVersion = version
        logger.info("CONNECT refused", metadata: ["reason": "\(reason)", "detail": "\(reasonString ?? "")"])
        var properties = Properties()
        if version == .v5, let reasonString { properties.append(.reasonString(Self.truncated(reasonString))) }
        writePacket(.connack(ConnAckPacket(sessionPresent: false, reasonCode: reason, properties: properties)))
        closeAfterReason()
    }

    func refuseConnect(_ reason: ReasonCode, version: ProtocolVersion) {
        refuseConnect(reason, reasonString: nil, version: version)
    }

    // MARK: - Keep-alive

    /// Makes sure the keep-alive is checked by the end of `delay` (by default the whole
    /// keep-alive timeout) from now.
    ///
    /// A connect timer still pending when the session opens is kept when it fires before that
    /// deadline: it then checks keep-alive and reschedules for the rest of the interval. Cancelling
    /// it instead, as soon as CONNECT arrived, cost a linear search of the event loop's timer queue
    /// per connection (NIO's `cancelScheduledCallback`), which holds a timer for every other
    /// connection of the loop: quadratic in the number of connections set up.
    func scheduleKeepAliveCheck(in delay: TimeAmount? = nil) {
        guard let context, let timeout = machine.keepAliveTimeout else { return }
        let deadline = context.eventLoop.now + (delay ?? timeout)
        if let timer {
            if timerDeadline <= deadline { return }
            timer.cancel()
        }
        scheduleTimer(at: deadline)
    }

    func scheduleTimer(at deadline: NIODeadline) {
        guard let context else { return }
        // Fails only while the event loop shuts down, which closes the connection anyway.
        timer = try? context.eventLoop.assumeIsolated().scheduleCallback(
            at: deadline, handler: ConnectionTimer(connection: self))
        timerDeadline = deadline
    }

    /// The timer is a scheduled callback rather than a `scheduleTask` closure (STYLE §2.8): a
    /// callback whose handler is a single reference is stored in the event loop's timer queue as
    /// it is, while a scheduled task also allocates a promise, its future and two closure
    /// contexts, for every idle connection for as long as it is connected.
    struct ConnectionTimer: NIOScheduledCallbackHandler {
        let connection: MQTTConnectionHandler
        func handleScheduledCallback(eventLoop: some EventLoop) { connection.timerFired() }
    }

    func timerFired() {
        timer = nil
        switch machine.state {
        case .awaitingConnect:
            if case .closeConnectTimeout = machine.connectTimerFired() {
                broker.stats.increment(.connectTimeouts)
                logger.info("no CONNECT within the connect timeout, closing")
                closeConnection()
            }
        case .connected:
            keepAliveTimerFired()
        case .openingSession, .closing, .closed:
            // Opening: the keep-alive timer is scheduled once the session is open.
            break
        }
    }

    private func keepAliveTimerFired() {
        switch machine.keepAliveTimerFired(now: context?.eventLoop.now ?? .now()) {
        case .none, .closeConnectTimeout:
            break
        case .reschedule(let remaining):
            scheduleKeepAliveCheck(in: remaining)
        case .closeKeepAliveTimeout:
            broker.stats.increment(.keepAliveTimeouts)
            logger.info("keep-alive timeout, closing", metadata: ["keepalive": "\(keepAlive)"])
            // [MQTT-3.1.2-22]; MQTT 5 clients are told why (0x8D).
            disconnect(reason: .keepAliveTimeout, reasonString: "keep-alive timeout")
        }
    }

    /// A client identifier for clients that sent none: unique enough to never collide in
    /// practice, and recognisable in logs.
    static func makeClientID() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return "swiftlet-" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
