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
import Foundation
import NIOCore
import NIOEmbedded
import SwiftletAuth
import SwiftletMQTT
import Testing

@testable import SwiftletBroker

/// Token revocation and query, in-session renewal on `$SYS/uploadToken`, the expire and invalid
/// notices, and password-file users (DESIGN §6; docs/authentication.md).
@Suite("Token lifecycle and password files")
struct TokenLifecycleTests {
    static let keys = [
        AccessKey(id: "DEV", secret: "device-secret", role: .device),
        AccessKey(id: "CLOUD", secret: "cloud-secret", role: .cloud),
    ]

    func broker(_ configure: (inout BrokerConfiguration) -> Void = { _ in }) -> TestBroker {
        TestBroker {
            $0.allowAnonymous = false
            $0.accessKeys = Self.keys
            configure(&$0)
        }
    }

    func token(
        filters: [String] = ["chat/#"], actions: TokenActions = .readWrite, secondsLeft: UInt64 = 600,
        key: String = "DEV", secret: String = "device-secret"
    ) throws -> String {
        // Issued far enough in the past that `secondsLeft` remain of a lifetime of at least 60 s.
        let lifetime = max(secondsLeft, 3600)
        return try TokenCodec.issue(
            accessKeyID: key, secretKey: secret, filters: filters, actions: actions, lifetime: lifetime,
            now: WallClock.now() + secondsLeft - lifetime
        ).encoded
    }

    func tokenClient(
        _ broker: TestBroker, _ clientID: String, password: String, version: ProtocolVersion = .v5
    ) throws -> TestClient {
        let client = try broker.client(version)
        let connack = try client.connect(
            clientID: clientID, username: "Token|DEV|inst", password: ByteBuffer(string: password))
        try #require(connack.reasonCode == .success, "CONNACK \(connack.reasonCode)")
        return client
    }

    func json(_ publish: PublishPacket) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(publish.payloadString.utf8)) as? [String: Any])
    }

    // MARK: - Revocation

    @Test("Revoking a token disconnects its MQTT 5 (0x87) and 3.1.1 clients, leaves others, refuses it at CONNECT")
    func revocation() throws {
        let broker = broker()
        let revoked = try token()
        let other = try token()
        let v5 = try tokenClient(broker, "v5", password: "RW|\(revoked)")
        let v311 = try tokenClient(broker, "v311", password: "RW|\(revoked)", version: .v3_1_1)
        let bystander = try tokenClient(broker, "bystander", password: "RW|\(other)")
        let cloud = try broker.client(.v5)
        let signature = Signature.password(secretKey: "cloud-secret", clientID: "backend")
        #expect(
            try cloud.connect(clientID: "backend", username: "Signature|CLOUD|inst", password: ByteBuffer(string: signature))
                .reasonCode == .success)
        try cloud.subscribe("$SYS/clients/+/disconnected")

        guard case .success(let status) = broker.broker.revokeToken(revoked) else {
            Issue.record("revocation failed"); return
        }
        broker.run()
        #expect(status.state == .revoked)
        try v5.expectDisconnect(.notAuthorized)
        #expect(!v5.isActive)
        #expect(!v311.isActive)
        #expect(bystander.isActive)
        #expect(broker.stats[.tokensRevoked] == 1)
        #expect(broker.stats[.tokensRevokedInSession] == 2)
        let events = [try cloud.nextPublish(), try cloud.nextPublish()].map { try? json($0) }
        #expect(events.compactMap { $0?["reason"] as? String } == ["token revoked", "token revoked"])

        // Refused at CONNECT from now on, like any bad credential.
        let again = try broker.client(.v5)
        #expect(
            try again.connect(clientID: "v5", username: "Token|DEV|inst", password: ByteBuffer(string: "RW|\(revoked)"))
                .reasonCode == .badUserNameOrPassword)
        // Revoking twice is harmless and changes nothing.
        guard case .success(let twice) = broker.broker.revokeToken(revoked) else { Issue.record("second revocation"); return }
        #expect(twice.state == .revoked)
        #expect(broker.stats[.tokensRevoked] == 1)
    }

    @Test("A token revoked while its CONNECT waits for a session takeover is refused at CONNACK")
    func revokedWhileOpening() throws {
        let broker = broker()
        _ = try tokenClient(broker, "same-id", password: "RW|\(try token())")
        let revoked = try token()
        let second = try broker.client(.v5)
        // CONNECT without running the loop: the takeover of "same-id" waits in a queued task.
        var bytes = ByteBuffer()
        MQTTPacketEncoder.encode(
            .connect(
                ConnectPacket(
                    version: .v5, cleanStart: true, keepAlive: 0, clientID: "same-id", will: nil,
                    username: "Token|DEV|inst", password: ByteBuffer(string: "RW|\(revoked)"), properties: [])),
            version: .v5, into: &bytes)
        try second.channel.writeInbound(bytes)
        // Revoked after the credentials were checked, before the session is open: the sweep finds
        // no connection attached yet, so the connection checks the list itself once it is.
        _ = broker.broker.revokeToken(revoked)
        broker.run()
        guard case .connack(let connack)? = try second.next() else {
            Issue.record("no CONNACK")
            return
        }
        #expect(connack.reasonCode == .badUserNameOrPassword)
    }

    @Test("tokenStatus reports valid, revoked and expired tokens with their grants; forgeries are errors")
    func status() throws {
        let broker = broker()
        let now = WallClock.now()
        let issued = try TokenCodec.issue(
            accessKeyID: "DEV", secretKey: "device-secret", filters: ["a/#", "b/+"], actions: .read, lifetime: 600,
            now: now, id: "tok-1")
        guard case .success(let valid) = broker.broker.tokenStatus(issued.encoded, now: now) else {
            Issue.record("status failed"); return
        }
        #expect(valid.state == .valid)
        #expect(valid.token == issued.token)
        #expect(
            valid.json
                == "{\"state\":\"valid\",\"tokenId\":\"tok-1\",\"accessKeyId\":\"DEV\",\"actions\":\"R\",\"filters\":[\"a/#\",\"b/+\"],\"expiresAt\":\(now + 600)}"
        )
        guard case .success(let expired) = broker.broker.tokenStatus(issued.encoded, now: now + 600) else {
            Issue.record("status failed"); return
        }
        #expect(expired.state == .expired)
        // An expired token is not added to the list: its expiry refuses it already.
        guard case .success(let notRevoked) = broker.broker.revokeToken(issued.encoded, now: now + 601) else {
            Issue.record("revocation failed"); return
        }
        #expect(notRevoked.state == .expired)
        #expect(broker.broker.revokedTokens.count == 0)

        _ = broker.broker.revokeToken(issued.encoded, now: now)
        guard case .success(let revoked) = broker.broker.tokenStatus(issued.encoded, now: now) else {
            Issue.record("status failed"); return
        }
        #expect(revoked.state == .revoked)

        let forged = try TokenCodec.issue(
            accessKeyID: "DEV", secretKey: "guessed", filters: ["#"], actions: .readWrite, lifetime: 600, now: now
        ).encoded
        for bad in [forged, "not-a-token", ""] {
            guard case .failure(let error) = broker.broker.tokenStatus(bad) else { Issue.record("accepted \(bad)"); return }
            #expect(error.code == .invalidToken)
            guard case .failure = broker.broker.revokeToken(bad) else { Issue.record("revoked \(bad)"); return }
        }
    }

    @Test("The revocation list is bounded; expired entries make room")
    func revocationLimit() {
        let list = TokenRevocationList(limit: 2)
        let now: UInt64 = 1_000
        #expect(list.revoke(RevokedTokenKey(accessKeyID: "K", tokenID: "1"), expiresAt: now + 10, now: now) == .revoked)
        #expect(list.revoke(RevokedTokenKey(accessKeyID: "K", tokenID: "2"), expiresAt: now + 100, now: now) == .revoked)
        #expect(list.revoke(RevokedTokenKey(accessKeyID: "K", tokenID: "3"), expiresAt: now + 100, now: now) == .full)
        // Token 1 has expired by now + 20: its entry goes, token 3 fits.
        #expect(list.revoke(RevokedTokenKey(accessKeyID: "K", tokenID: "3"), expiresAt: now + 100, now: now + 20) == .revoked)
        #expect(!list.isRevoked(RevokedTokenKey(accessKeyID: "K", tokenID: "1")))
        // The same ID under another access key is another token.
        #expect(!list.isRevoked(RevokedTokenKey(accessKeyID: "OTHER", tokenID: "2")))
    }

    // MARK: - Renewal

    @Test("An uploaded token replaces the grants and the expiry timer (JSON and password forms)")
    func renewal() throws {
        let broker = broker()
        let client = try tokenClient(broker, "renew", password: "RW|\(try token(secondsLeft: 5))")
        #expect(try client.subscribe(TokenTopics.invalidNotice).reasonCodes == [.grantedQoS0])
        #expect(try client.subscribe("chat/a", packetID: 9).reasonCodes == [.grantedQoS0])
        // The new token covers another tree: the grants are replaced, not merged.
        let fresh = try token(filters: ["live/#"], secondsLeft: 3600)
        try client.publish(TokenTopics.upload, "{\"token\":\"\(fresh)\",\"type\":\"RW\"}", qos: .atLeastOnce, packetID: 1)
        #expect(try client.nextAck(.puback).reasonCode == .success)
        #expect(broker.stats[.tokensRenewed] == 1)
        // Past the old token's expiry the client is still connected.
        broker.advance(by: .seconds(10))
        #expect(client.isActive)
        #expect(try client.next() == nil)
        try client.publish("live/1", "x", qos: .atLeastOnce, packetID: 2)
        #expect(try client.nextAck(.puback).reasonCode == .noMatchingSubscribers)
        try client.publish("chat/1", "x", qos: .atLeastOnce, packetID: 3)
        #expect(try client.nextAck(.puback).reasonCode == .notAuthorized)
        // The subscription the new token does not cover is gone, from the session and the index.
        let session = try #require(broker.broker.session(clientID: "renew"))
        #expect(Set(session.subscriptions.keys) == [TokenTopics.invalidNotice])
        #expect(broker.broker.subscriptionCount == 1)

        // The password form, for the read side only: writing stays with the RW token.
        let read = try token(filters: ["news/#"], actions: .read, secondsLeft: 3600)
        try client.publish(TokenTopics.upload, "R|\(read)", qos: .atLeastOnce, packetID: 4)
        #expect(try client.nextAck(.puback).reasonCode == .success)
        #expect(try client.subscribe("news/#", packetID: 5).reasonCodes == [.grantedQoS0])
        #expect(try client.subscribe("live/#", packetID: 6).reasonCodes == [.notAuthorized])
        try client.publish("live/2", "x", qos: .atLeastOnce, packetID: 7)
        #expect(try client.nextAck(.puback).reasonCode == .noMatchingSubscribers)
    }

    @Test("A bad upload keeps the old token and is answered on $SYS/tokenInvalidNotice, to that client only")
    func invalidUpload() throws {
        let broker = broker()
        let client = try tokenClient(broker, "bad", password: "RW|\(try token())")
        let neighbour = try tokenClient(broker, "neighbour", password: "RW|\(try token())")
        #expect(try client.subscribe(TokenTopics.invalidNotice).reasonCodes == [.grantedQoS0])
        #expect(try neighbour.subscribe(TokenTopics.invalidNotice).reasonCodes == [.grantedQoS0])
        let forged = try token(secret: "guessed")
        let revoked = try token()
        _ = broker.broker.revokeToken(revoked)
        for (payload, reason) in [
            ("{\"token\":\"\(forged)\",\"type\":\"RW\"}", "token refused: bad token signature"),
            ("RW|\(revoked)", "token revoked"),
            ("RW|\(try token(key: "CLOUD", secret: "cloud-secret"))", "token issued for another access key"),
            ("R|\(try token(actions: .write))", "token does not allow R"),
            ("{\"token\":1}", "payload is not"),
        ] {
            try client.publish(TokenTopics.upload, payload, qos: .atLeastOnce, packetID: 1)
            let notice = try client.nextPublish()
            #expect(notice.topic == TokenTopics.invalidNotice)
            let fields = try json(notice)
            #expect((fields["reason"] as? String)?.hasPrefix(reason) == true, "\(fields)")
            #expect(try client.nextAck(.puback).reasonCode == .notAuthorized)
        }
        #expect(try neighbour.next() == nil)
        #expect(broker.stats[.tokenUploadsRefused] == 5)
        // The old token still works.
        try client.publish("chat/x", "still here", qos: .atLeastOnce, packetID: 2)
        #expect(try client.nextAck(.puback).reasonCode == .noMatchingSubscribers)
    }

    @Test("Clients without tokens may not publish to $SYS/uploadToken; the upload is never routed")
    func uploadIsNotRouted() throws {
        let broker = broker { $0.allowAnonymous = true }
        let anonymous = try broker.connected("anon")
        try anonymous.publish(TokenTopics.upload, "RW|x", qos: .atLeastOnce, packetID: 1)
        #expect(try anonymous.nextAck(.puback).reasonCode == .notAuthorized)
        // A cloud client reading all of $SYS sees no upload.
        let cloud = try broker.client(.v5)
        let signature = Signature.password(secretKey: "cloud-secret", clientID: "backend")
        _ = try cloud.connect(clientID: "backend", username: "Signature|CLOUD|inst", password: ByteBuffer(string: signature))
        try cloud.subscribe("$SYS/uploadToken")
        let client = try tokenClient(broker, "uploader", password: "RW|\(try token())")
        try client.publish(TokenTopics.upload, "RW|\(try token())", qos: .atLeastOnce, packetID: 1)
        #expect(try client.nextAck(.puback).reasonCode == .success)
        #expect(try cloud.next() == nil)
    }

    @Test("Renewal merges by action: R replaces reading, RW replaces everything")
    func renewedGrants() throws {
        func grant(_ id: String, _ actions: TokenActions) -> TokenGrant {
            TokenGrant(AccessToken(id: id, accessKeyID: "K", filters: ["a"], actions: actions, expiresAt: 1), actions: actions)
        }
        let rw = [grant("1", .readWrite)]
        #expect(MQTTConnectionHandler.renewed(rw, with: [grant("2", .read)]).map { "\($0.tokenID)\($0.actions.description)" } == ["1W", "2R"])
        let split = [grant("1", .read), grant("2", .write)]
        #expect(MQTTConnectionHandler.renewed(split, with: [grant("3", .readWrite)]).map(\.tokenID) == ["3"])
        #expect(MQTTConnectionHandler.renewed(split, with: [grant("3", .write)]).map(\.tokenID) == ["1", "3"])
    }

    // MARK: - Expire notices

    @Test("A token with less than the notice lead left is noticed at once on subscribing, once")
    func expireNoticeAtOnce() throws {
        let broker = broker()
        let short = try token(secondsLeft: 100)
        let client = try tokenClient(broker, "soon", password: "RW|\(short)")
        let other = try tokenClient(broker, "later", password: "RW|\(try token(secondsLeft: 3600))")
        #expect(try other.subscribe(TokenTopics.expireNotice).reasonCodes == [.grantedQoS0])
        #expect(try client.subscribe(TokenTopics.expireNotice, qos: .atLeastOnce).reasonCodes == [.grantedQoS1])
        let notice = try client.nextPublish()
        #expect(notice.topic == TokenTopics.expireNotice)
        #expect(notice.qos == .atLeastOnce)
        let fields = try json(notice)
        #expect(fields["type"] as? String == "RW")
        let remaining = try #require(fields["remainingSeconds"] as? Int)
        #expect((90...100).contains(remaining))
        let id = try TokenCodec.verify(short, now: WallClock.now()) { _ in "device-secret" }.id
        #expect(fields["tokenId"] as? String == id)
        // Once only, and nobody else hears of it.
        try client.subscribe(TokenTopics.expireNotice, qos: .atLeastOnce, packetID: 2)
        #expect(try client.next() == nil)
        #expect(try other.next() == nil)
    }

    @Test("A notice comes the configured lead before expiry")
    func expireNoticeLater() throws {
        let broker = broker { $0.tokenExpireNotice = .seconds(60) }
        let client = try tokenClient(broker, "c", password: "RW|\(try token(secondsLeft: 200))")
        try client.subscribe(TokenTopics.expireNotice)
        #expect(try client.next() == nil)
        broker.advance(by: .seconds(130))
        #expect(try client.next() == nil)
        broker.advance(by: .seconds(15))
        #expect(try client.nextPublish().topic == TokenTopics.expireNotice)
    }

    @Test("Any client may subscribe to exactly the two notice topics; other $SYS filters stay reserved")
    func noticeSubscriptions() throws {
        let broker = broker { $0.allowAnonymous = true }
        let client = try broker.connected("anon")
        #expect(try client.subscribe(TokenTopics.expireNotice).reasonCodes == [.grantedQoS0])
        #expect(try client.subscribe(TokenTopics.invalidNotice, packetID: 2).reasonCodes == [.grantedQoS0])
        #expect(try client.subscribe("$SYS/+", packetID: 3).reasonCodes == [.notAuthorized])
        #expect(try client.subscribe("$SYS/tokenExpireNotice/#", packetID: 4).reasonCodes == [.notAuthorized])
    }

    // MARK: - Password file

    @Test("Password-file users: the right password gets in, a wrong one or an unknown user gets 0x86 / 4")
    func passwordFileUsers() throws {
        var file = PasswordFile()
        file["alice"] = PasswordHash.make(password: "wonderland")
        let broker = broker { $0.passwordFile = file }
        let alice = try broker.client(.v3_1_1)
        #expect(
            try alice.connect(clientID: "a1", username: "alice", password: ByteBuffer(string: "wonderland")).reasonCode
                == .success)
        for (version, user, password) in [
            (ProtocolVersion.v3_1_1, "alice", "Wonderland"), (.v5, "alice", "wonderland!"), (.v5, "bob", "wonderland"),
            (.v5, "alice", ""),
        ] {
            let client = try broker.client(version)
            let connack = try client.connect(clientID: "x", username: user, password: ByteBuffer(string: password))
            #expect(connack.reasonCode == .badUserNameOrPassword, "\(user)")
            #expect(!client.isActive)
        }
        // With anonymous access on, a client without a user name still gets in, a wrong password not.
        let open = self.broker {
            $0.passwordFile = file
            $0.allowAnonymous = true
        }
        #expect(try open.client(.v5).connect(clientID: "n").reasonCode == .success)
        #expect(
            try open.client(.v5).connect(clientID: "w", username: "alice", password: ByteBuffer(string: "no")).reasonCode
                == .badUserNameOrPassword)
    }
}
