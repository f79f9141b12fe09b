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

/// ACL rules with %c, %u, %g (DESIGN §6): first match wins, then the default.
@Suite("ACL rules")
struct AccessControlTests {
    let device = AccessSubject(
        clientID: "GID_chat@@@phone-1", username: "alice",
        identity: ClientIdentity(kind: .signed(accessKeyID: "DEV"), role: .device, grants: nil))
    let anonymous = AccessSubject(clientID: "visitor", username: nil, identity: .anonymous)
    let cloud = AccessSubject(
        clientID: "backend", username: nil, identity: ClientIdentity(kind: .signed(accessKeyID: "C"), role: .cloud, grants: nil))

    @Test("Placeholders name the client; a rule with a missing or unsafe value does not apply")
    func placeholders() {
        #expect("chat/%g/#".replacingPlaceholders(clientID: "G@@@d", username: nil, group: "G") == "chat/G/#")
        #expect("inbox/%c".replacingPlaceholders(clientID: "c1", username: nil, group: nil) == "inbox/c1")
        #expect("users/%u/+".replacingPlaceholders(clientID: "c", username: nil, group: nil) == nil)
        #expect("inbox/%c".replacingPlaceholders(clientID: "evil/#", username: nil, group: nil) == nil)
        #expect("inbox/%c".replacingPlaceholders(clientID: "%/#", username: nil, group: nil) == nil)
        #expect("rate/100%x".replacingPlaceholders(clientID: "c", username: nil, group: nil) == "rate/100%x")
    }

    @Test("First match wins; the default decides the rest")
    func firstMatch() {
        let acl = AccessControl(
            rules: [
                AccessRule(.allow, .all, "chat/%g/#", who: .device),
                AccessRule(.allow, .subscribe, "public/#"),
                AccessRule(.deny, .all, "#", who: .anonymous),
            ], defaultPermission: .deny)
        #expect(acl.allowsPublish(device, topic: "chat/GID_chat/room1"))
        #expect(!acl.allowsPublish(device, topic: "chat/OTHER/room1"))
        #expect(acl.allowsSubscribe(device, filter: "chat/GID_chat/+"))
        // A rule only applies when it covers the whole subscription.
        #expect(!acl.allowsSubscribe(device, filter: "chat/#"))
        #expect(acl.allowsSubscribe(anonymous, filter: "public/news"))
        #expect(!acl.allowsPublish(anonymous, topic: "public/news"))
        #expect(!acl.allowsSubscribe(cloud, filter: "anything"))  // default deny
        #expect(AccessControl(rules: [], defaultPermission: .allow).allowsPublish(anonymous, topic: "x"))
    }

    @Test("Rules are validated with their placeholders filled in")
    func validation() {
        #expect(AccessRule(.allow, .all, "chat/%g/#").problem == nil)
        #expect(AccessRule(.allow, .all, "chat/%g#").problem != nil)
        #expect(AccessRule(.allow, .all, "$share/g/x").problem != nil)
    }

    @Test("Enforced on PUBLISH (0x87), SUBSCRIBE (0x87) and wills")
    func onTheWire() throws {
        let broker = TestBroker {
            $0.accessControl = AccessControl(
                rules: [AccessRule(.allow, .all, "chat/%g/#"), AccessRule(.allow, .subscribe, "news/#")],
                defaultPermission: .deny)
        }
        let client = try broker.connected("GRP@@@one")
        #expect(
            try client.subscribe([
                SubscriptionRequest(topicFilter: "chat/GRP/room", qos: .atLeastOnce),
                SubscriptionRequest(topicFilter: "chat/OTHER/room", qos: .atLeastOnce),
                SubscriptionRequest(topicFilter: "news/today", qos: .atLeastOnce),
            ]).reasonCodes == [.grantedQoS1, .notAuthorized, .grantedQoS1])
        try client.publish("news/today", "no", qos: .atLeastOnce, packetID: 2)
        #expect(try client.nextAck(.puback).reasonCode == .notAuthorized)
        try client.publish("chat/GRP/room", "yes", qos: .atLeastOnce, packetID: 3)
        #expect(try client.nextAck(.puback).reasonCode == .success)
        #expect(try client.nextPublish().payloadString == "yes")

        let willing = try broker.client(.v5)
        let connack = try willing.connect(
            clientID: "GRP@@@two", will: WillMessage(topic: "news/fake", payload: ByteBuffer(string: "x"), qos: .atMostOnce, retain: false))
        #expect(connack.reasonCode == .notAuthorized)
    }
}
