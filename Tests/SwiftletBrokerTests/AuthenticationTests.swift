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
import Testing

@testable import SwiftletBroker

/// Credentials on CONNECT and token grants on PUBLISH and SUBSCRIBE (DESIGN §6).
@Suite("Authentication and token grants")
struct AuthenticationTests {
    static let keys = [
        AccessKey(id: "DEV", secret: "device-secret", role: .device),
        AccessKey(id: "CLOUD", secret: "cloud-secret", role: .cloud),
    ]

    func authenticator(anonymous: Bool = false, instance: String? = "inst") -> Authenticator {
        var configuration = BrokerConfiguration()
        configuration.allowAnonymous = anonymous
        configuration.accessKeys = Self.keys
        configuration.instanceID = instance
        return Authenticator(configuration: configuration)
    }

    func password(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    func token(
        key: String = "DEV", secret: String = "device-secret", filters: [String], actions: TokenActions = .readWrite,
        now: UInt64 = WallClock.now(), lifetime: UInt64 = 600
    ) throws -> String {
        try TokenCodec.issue(
            accessKeyID: key, secretKey: secret, filters: filters, actions: actions, lifetime: lifetime, now: now
        ).encoded
    }

    @Test("Signature mode: the HMAC of the client ID under the key's secret")
    func signature() {
        let auth = authenticator()
        let good = Signature.password(secretKey: "device-secret", clientID: "GID@@@phone")
        #expect(
            auth.authenticate(clientID: "GID@@@phone", username: "Signature|DEV|inst", password: password(good), now: 0)
                == .accepted(ClientIdentity(kind: .signed(accessKeyID: "DEV"), role: .device, grants: nil)))
        // Signed for another client ID, with another key, for another instance, or a key nobody has.
        for (client, user) in [
            ("other", "Signature|DEV|inst"), ("GID@@@phone", "Signature|CLOUD|inst"),
            ("GID@@@phone", "Signature|DEV|other-inst"), ("GID@@@phone", "Signature|NOPE|inst"),
        ] {
            guard case .refused(let code, _) = auth.authenticate(clientID: client, username: user, password: password(good), now: 0)
            else {
                Issue.record("\(client) \(user) was accepted")
                continue
            }
            #expect(code == .badUserNameOrPassword)
        }
    }

    @Test("A cloud key authenticates a cloud client")
    func roles() {
        let auth = authenticator()
        let cloud = Signature.password(secretKey: "cloud-secret", clientID: "backend-1")
        guard case .accepted(let identity) = auth.authenticate(
            clientID: "backend-1", username: "Signature|CLOUD|inst", password: password(cloud), now: 0)
        else { return #expect(Bool(false)) }
        #expect(identity.role == .cloud)
    }

    @Test("Anonymous and plain user names follow allow-anonymous")
    func anonymous() {
        #expect(authenticator(anonymous: true).authenticate(clientID: "a", username: nil, password: nil, now: 0) == .accepted(.anonymous))
        #expect(authenticator(anonymous: true).authenticate(clientID: "a", username: "alice", password: nil, now: 0) == .accepted(.anonymous))
        guard case .refused(.notAuthorized, _) = authenticator().authenticate(clientID: "a", username: nil, password: nil, now: 0)
        else { return #expect(Bool(false)) }
        guard case .refused(.badUserNameOrPassword, _) = authenticator().authenticate(clientID: "a", username: "alice", password: nil, now: 0)
        else { return #expect(Bool(false)) }
        // A malformed mode is refused even with anonymous access on.
        guard case .refused(.badUserNameOrPassword, _) = authenticator(anonymous: true).authenticate(
            clientID: "a", username: "Signature|DEV", password: nil, now: 0)
        else { return #expect(Bool(false)) }
    }

    @Test("Token mode: valid tokens become grants; expired, foreign or forged ones are refused")
    func tokens() throws {
        let auth = authenticator()
        let now = WallClock.now()
        let rw = try token(filters: ["chat/#"], now: now)
        guard case .accepted(let identity) = auth.authenticate(
            clientID: "c", username: "Token|DEV|inst", password: password("RW|\(rw)"), now: now)
        else { return #expect(Bool(false)) }
        #expect(identity.grants?.first?.filters == ["chat/#"])
        #expect(identity.grants?.first?.actions == .readWrite)

        let read = try token(filters: ["live/+"], actions: .read, now: now)
        let write = try token(filters: ["live/+/comments"], actions: .write, now: now)
        guard case .accepted(let split) = auth.authenticate(
            clientID: "c", username: "Token|DEV|inst", password: password("R|\(read)|W|\(write)"), now: now)
        else { return #expect(Bool(false)) }
        #expect(split.grants?.map(\.actions) == [.read, .write])

        let refusals: [(String, String, ReasonCode)] = [
            ("Token|DEV|inst", "RW|\(try token(filters: ["a"], now: now - 700))", .badUserNameOrPassword),  // expired
            ("Token|CLOUD|inst", "RW|\(rw)", .badUserNameOrPassword),  // signed by another key
            ("Token|DEV|inst", "RW|\(try token(secret: "guess", filters: ["#"], now: now))", .badUserNameOrPassword),
            ("Token|DEV|inst", "RW|\(read)", .notAuthorized),  // a read token claimed for writing
            ("Token|DEV|inst", "token-without-prefix", .badUserNameOrPassword),
        ]
        for (user, text, expected) in refusals {
            guard case .refused(let code, _) = auth.authenticate(clientID: "c", username: user, password: password(text), now: now)
            else {
                Issue.record("accepted: \(user) \(text.prefix(20))")
                continue
            }
            #expect(code == expected)
        }
    }

    @Test("Filter coverage decides what a read token lets a client subscribe to")
    func coverage() {
        let cases: [(String, String, Bool)] = [
            ("chat/#", "chat/room1", true), ("chat/#", "chat/+/x", true), ("chat/#", "chat", true),
            ("chat/#", "chat/#", true), ("chat/+", "chat/room1", true), ("chat/+", "chat/#", false),
            ("chat/+", "chat/a/b", false), ("chat/+", "chat", false), ("chat/room1", "chat/+", false),
            ("#", "$SYS/x", false), ("$SYS/#", "$SYS/clients/+", true), ("+/+", "a/b", true), ("a/b", "a/b", true),
        ]
        for (outer, inner, expected) in cases {
            #expect(TopicFilterCoverage.covers(outer, inner) == expected, "\(outer) covers \(inner)")
        }
    }

    @Test("Failed attempts from one address are throttled; others are not")
    func failureLimiter() {
        let limiter = AuthFailureLimiter(perSecond: 3)
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        for _ in 0..<3 {
            #expect(limiter.mayAttempt("10.0.0.1", now: start))
            #expect(limiter.failed("10.0.0.1", now: start))
        }
        #expect(!limiter.mayAttempt("10.0.0.1", now: start))
        // A failure past the budget is throttled, and spends nothing: the refill goes on.
        #expect(!limiter.failed("10.0.0.1", now: start))
        #expect(limiter.mayAttempt("10.0.0.2", now: start))
        #expect(limiter.mayAttempt("10.0.0.1", now: start + .milliseconds(400)))
        #expect(limiter.failed("10.0.0.1", now: start + .milliseconds(400)))
        #expect(!limiter.failed("10.0.0.1", now: start + .milliseconds(400)))
    }

    @Test("Only password-file credentials meet the throttle before they are checked")
    func checkOrder() {
        typealias Limiter = AuthFailureLimiter
        for username in [nil, "Signature|DEV|inst", "DeviceCredential|DEV|inst", "Token|DEV|inst", "Signature|bad"] {
            #expect(Limiter.checkOrder(username: username, hasPasswordFile: true) == .credentialsFirst, "\(username ?? "none")")
        }
        #expect(Limiter.checkOrder(username: "alice", hasPasswordFile: true) == .throttleFirst)
        // Without a password file a plain user name is anonymous access with a name.
        #expect(Limiter.checkOrder(username: "alice", hasPasswordFile: false) == .credentialsFirst)
    }

    // MARK: - Through the connection handler

    func broker() -> TestBroker {
        TestBroker {
            $0.allowAnonymous = false
            $0.accessKeys = Self.keys
        }
    }

    @Test("A token client publishes and subscribes only within its grants (MQTT 5 0x87)")
    func grantsOnTheWire() throws {
        let broker = broker()
        let grant = try token(filters: ["chat/#"], actions: .readWrite)
        let client = try broker.client(.v5)
        let connack = try client.connect(
            clientID: "tok", username: "Token|DEV|any", password: ByteBuffer(string: "RW|\(grant)"))
        #expect(connack.reasonCode == .success)
        let suback = try client.subscribe([
            SubscriptionRequest(topicFilter: "chat/room1", qos: .atLeastOnce),
            SubscriptionRequest(topicFilter: "live/room1", qos: .atLeastOnce),
            SubscriptionRequest(topicFilter: "$SYS/#", qos: .atMostOnce),
        ])
        #expect(suback.reasonCodes == [.grantedQoS1, .notAuthorized, .notAuthorized])
        try client.publish("live/room1", "nope", qos: .atLeastOnce, packetID: 5)
        #expect(try client.nextAck(.puback).reasonCode == .notAuthorized)
        try client.publish("chat/room1", "yes", qos: .atLeastOnce, packetID: 6)
        #expect(try client.nextAck(.puback).reasonCode == .success)
        #expect(try client.nextPublish().payloadString == "yes")
    }

    @Test("A cloud client may read $SYS; a wrong signature gets CONNACK 0x86 / return code 4")
    func cloudAndRefusals() throws {
        let broker = broker()
        let cloud = try broker.client(.v5)
        let password = Signature.password(secretKey: "cloud-secret", clientID: "backend")
        #expect(
            try cloud.connect(clientID: "backend", username: "Signature|CLOUD|x", password: ByteBuffer(string: password))
                .reasonCode == .success)
        #expect(try cloud.subscribe("$SYS/#").reasonCodes == [.grantedQoS0])

        let wrong = try broker.client(.v3_1_1)
        let connack = try wrong.connect(
            clientID: "device", username: "Signature|DEV|x", password: ByteBuffer(string: "bm90IGl0"))
        #expect(connack.reasonCode == .badUserNameOrPassword)
        #expect(!wrong.isActive)
        #expect(broker.stats[.authenticationFailures] == 1)
        // Without credentials and without anonymous access: not authorized.
        let anonymous = try broker.client(.v5)
        #expect(try anonymous.connect(clientID: "anon").reasonCode == .notAuthorized)
    }

    @Test("A valid signature gets in from an address whose failures are throttled (a shared NAT)")
    func validSignatureWhileThrottled() throws {
        // Every TestClient comes from 127.0.0.1: the guesser and the honest client share it.
        let broker = broker()
        func connack(_ clientID: String, _ password: String) throws -> ReasonCode {
            try broker.client(.v5).connect(
                clientID: clientID, username: "Signature|DEV|x", password: ByteBuffer(string: password)
            ).reasonCode
        }
        let guesses = try (0..<14).map { try connack("guess\($0)", "bm90IGl0") }
        #expect(guesses == Array(repeating: .badUserNameOrPassword, count: 10) + Array(repeating: .connectionRateExceeded, count: 4))
        #expect(broker.stats[.authenticationFailures] == 10)
        #expect(broker.stats[.authenticationThrottled] == 4)
        let honest = Signature.password(secretKey: "device-secret", clientID: "honest")
        #expect(try connack("honest", honest) == .success)
        // A failure is still throttled, and a 3.1.1 client hears return code 3 (server unavailable).
        #expect(try connack("guess", "bm90IGl0") == .connectionRateExceeded)
        let old = try broker.client(.v3_1_1)
        #expect(
            try old.connect(clientID: "old", username: "Signature|DEV|x", password: ByteBuffer(string: "bm90IGl0"))
                .reasonCode == .serverUnavailable)
        #expect(broker.stats[.authenticationThrottled] == 6)
    }

    @Test("A password-file user is not checked while the address is throttled, and is once it refilled")
    func passwordWhileThrottled() throws {
        var file = PasswordFile()
        file["alice"] = PasswordHash.make(password: "wonderland")
        let broker = TestBroker {
            $0.allowAnonymous = false
            $0.accessKeys = Self.keys
            $0.passwordFile = file
        }
        func connack(_ user: String, _ password: String) throws -> ReasonCode {
            try broker.client(.v5).connect(clientID: "c", username: user, password: ByteBuffer(string: password))
                .reasonCode
        }
        for _ in 0..<10 { #expect(try connack("alice", "guess") == .badUserNameOrPassword) }
        // Checked only within the budget: even the right password waits, so guessing stays slow.
        #expect(try connack("alice", "wonderland") == .connectionRateExceeded)
        #expect(try connack("alice", "guess") == .connectionRateExceeded)
        // Signatures are checked all the same.
        let honest = Signature.password(secretKey: "device-secret", clientID: "c")
        #expect(try connack("Signature|DEV|x", honest) == .success)
        broker.advance(by: .milliseconds(100))  // one failure's worth at 10 per second
        #expect(try connack("alice", "wonderland") == .success)
        #expect(broker.stats[.authenticationFailures] == 10)
        #expect(broker.stats[.authenticationThrottled] == 2)
    }

    @Test("A token client is disconnected with 0x87 when its token expires")
    func expiryInSession() throws {
        let broker = broker()
        let grant = try token(filters: ["chat/#"], now: WallClock.now() - 599, lifetime: 600)
        let client = try broker.client(.v5)
        #expect(
            try client.connect(clientID: "short", username: "Token|DEV|x", password: ByteBuffer(string: "RW|\(grant)"))
                .reasonCode == .success)
        broker.advance(by: .seconds(2))
        try client.expectDisconnect(.notAuthorized)
        #expect(broker.stats[.tokensExpiredInSession] == 1)
    }

    @Test("Modes per listener: a credential of a mode the listener does not allow is refused 0x87")
    func listenerModes() throws {
        let auth = authenticator(anonymous: true)
        let signed = password(Signature.password(secretKey: "device-secret", clientID: "GID@@@phone"))
        let tokenPassword = password("RW|" + (try token(filters: ["a/#"])))
        let tokenOnly: AuthenticationModes = .token
        guard case .refused(.notAuthorized, let reason) = auth.authenticate(
            clientID: "GID@@@phone", username: "Signature|DEV|inst", password: signed, now: WallClock.now(),
            modes: tokenOnly)
        else {
            Issue.record("signature accepted on a token-only listener")
            return
        }
        #expect(reason == "signature authentication is not enabled on this listener")
        #expect(
            auth.authenticate(clientID: "c", username: nil, password: nil, now: 0, modes: tokenOnly)
                == .refused(.notAuthorized, "anonymous authentication is not enabled on this listener"))
        // A plain user name without a password file is anonymous access with a name.
        #expect(
            auth.authenticate(clientID: "c", username: "bob", password: nil, now: 0, modes: tokenOnly)
                == .refused(.notAuthorized, "anonymous authentication is not enabled on this listener"))
        guard case .accepted = auth.authenticate(
            clientID: "c", username: "Token|DEV|inst", password: tokenPassword, now: WallClock.now(), modes: tokenOnly)
        else {
            Issue.record("token refused on a token-only listener")
            return
        }
        // A listener only narrows: anonymous on the listener does not open a broker that refuses it.
        #expect(
            authenticator(anonymous: false).authenticate(clientID: "c", username: nil, password: nil, now: 0, modes: .all)
                == .refused(.notAuthorized, "anonymous access is disabled"))
    }

    @Test("Mode lists: all, or names separated by commas; unknown names and empty lists are refused")
    func modeLists() {
        #expect(AuthenticationModes(list: "all") == .all)
        #expect(AuthenticationModes(list: " token , signature ") == [.token, .signature])
        #expect(AuthenticationModes(list: "device-credential,certificate") == [.deviceCredential, .certificate])
        #expect(AuthenticationModes(list: "") == nil)
        #expect(AuthenticationModes(list: ",") == nil)
        #expect(AuthenticationModes(list: "token,tokens") == nil)
        #expect(AuthenticationModes([.token, .anonymous]).description == "anonymous,token")
        #expect(AuthenticationModes.all.description == "all")
    }

    @Test("Device credentials: signed with the device secret of that client ID, always role device")
    func deviceCredentials() {
        let auth = authenticator()
        for key in Self.keys {
            let deviceSecret = DeviceSecret.derive(accessKeySecret: key.secret, clientID: "GID@@@phone")
            let good = password(Signature.password(secretKey: deviceSecret, clientID: "GID@@@phone"))
            #expect(
                auth.authenticate(clientID: "GID@@@phone", username: "DeviceCredential|\(key.id)|inst", password: good, now: 0)
                    == .accepted(ClientIdentity(kind: .signed(accessKeyID: key.id), role: .device, grants: nil)))
            // The same password for another client ID, and the key's own signature, are refused.
            guard case .refused(.badUserNameOrPassword, _) = auth.authenticate(
                clientID: "GID@@@other", username: "DeviceCredential|\(key.id)|inst", password: good, now: 0)
            else {
                Issue.record("a device credential signed for another client ID")
                continue
            }
            let keySigned = password(Signature.password(secretKey: key.secret, clientID: "GID@@@phone"))
            guard case .refused(.badUserNameOrPassword, _) = auth.authenticate(
                clientID: "GID@@@phone", username: "DeviceCredential|\(key.id)|inst", password: keySigned, now: 0)
            else {
                Issue.record("DeviceCredential mode took the key's own signature")
                continue
            }
        }
    }
}
