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
import SwiftletMQTT
import Testing

@Suite("Topics")
struct TopicTests {
    /// (filter, topic, matches)
    static let matching: [(String, String, Bool)] = [
        // MQTT 5 §4.7.1.2, multi-level wildcard.
        ("sport/tennis/player1/#", "sport/tennis/player1", true),
        ("sport/tennis/player1/#", "sport/tennis/player1/ranking", true),
        ("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true),
        ("sport/#", "sport", true),
        ("#", "sport/tennis/player1", true),
        ("sport/tennis/#", "sport/tennis", true),
        // MQTT 5 §4.7.1.3, single-level wildcard.
        ("sport/tennis/+", "sport/tennis/player1", true),
        ("sport/tennis/+", "sport/tennis/player2", true),
        ("sport/tennis/+", "sport/tennis/player1/ranking", false),
        ("sport/+", "sport", false),
        ("sport/+", "sport/", true),
        ("+/+", "/finance", true),
        ("/+", "/finance", true),
        ("+", "/finance", false),
        ("+/tennis/#", "sport/tennis/player1/ranking", true),
        ("sport/+/player1", "sport/tennis/player1", true),
        // MQTT 5 §4.7.2, topics beginning with $ [MQTT-4.7.2-1].
        ("#", "$SYS/monitor/Clients", false),
        ("+/monitor/Clients", "$SYS/monitor/Clients", false),
        ("$SYS/#", "$SYS/monitor/Clients", true),
        ("$SYS/monitor/+", "$SYS/monitor/Clients", true),
        ("$SYS/#", "$SYS", true),
        ("+", "$SYS", false),
        ("+/#", "$share/g/t", false),
        // MQTT 5 §4.7.3: case-sensitive, byte for byte.
        ("ACCOUNTS", "Accounts", false),
        ("Accounts", "Accounts", true),
        ("a/b", "a/b", true),
        ("a/b", "a/b/", false),
        ("a/b/", "a/b", false),
        ("a/b/", "a/b/", true),
        ("a//b", "a//b", true),
        ("a/+/b", "a//b", true),
        ("a/+/b", "a/x/y/b", false),
        ("#", "/", true),
        ("/#", "/", true),
        ("+/#", "/", true),
        ("+/+", "/", true),
        ("+", "/", false),
        ("a/#", "b", false),
        ("a/#", "a/", true),
        ("a/b/#", "a", false),
        ("+/+", "a", false),
        ("+", "a", true),
        ("#", "a", true),
        ("a", "ab", false),
        ("ab", "a", false),
        ("a/+", "a/b/c", false),
        ("日本/+", "日本/東京", true),
        ("日本/東京", "日本/大阪", false),
        ("x/$y", "x/$y", true),
        ("+/$y", "x/$y", true),
    ]

    @Test("matches(filter:topic:)", arguments: Self.matching)
    func matches(_ filter: String, _ topic: String, _ expected: Bool) {
        #expect(Topic.isValidFilter(filter))
        #expect(Topic.isValidName(topic))
        #expect(Topic.matches(filter: filter, topic: topic) == expected)
    }

    static let validFilters = [
        "#", "+", "sport/#", "sport/tennis/#", "+/tennis/#", "sport/+/player1", "/+", "+/+", "/", "//", "a//b",
        "$SYS/#", "a/+/b/#", "+/+/+", "日本/+", "sport/tennis/player1", "$share", "a b/c",
    ]
    static let invalidFilters = [
        "", "sport/tennis#", "sport/tennis/#/ranking", "sport+", "sport/+tennis", "#/", "##", "++", "a/#b", "a/b#",
        "+a", "a+", "#a", "a/#/", "a\u{0}b", String(repeating: "a", count: 65_536),
    ]

    @Test("valid filters", arguments: Self.validFilters)
    func validFilter(_ filter: String) {
        #expect(Topic.isValidFilter(filter))
    }

    @Test("invalid filters [MQTT-4.7.1-2] [MQTT-4.7.1-3] [MQTT-4.7.3-1]", arguments: Self.invalidFilters)
    func invalidFilter(_ filter: String) {
        #expect(!Topic.isValidFilter(filter))
    }

    @Test("topic names")
    func names() {
        for name in ["a", "/", "a/b", "$SYS/x", "日本", "a b", String(repeating: "a", count: 65_535)] {
            #expect(Topic.isValidName(name), "\(name.prefix(20))")
        }
        for name in ["", "a/+", "#", "a+b", "a#", "a\u{0}b", String(repeating: "a", count: 65_536)] {
            #expect(!Topic.isValidName(name), "\(name.prefix(20))")
        }
    }

    @Test("levels")
    func levels() {
        #expect(Topic.levelCount("a") == 1)
        #expect(Topic.levelCount("a/b") == 2)
        #expect(Topic.levelCount("/") == 2)
        #expect(Topic.levelCount("a//b") == 3)
        #expect(Topic.levelCount("/a/") == 3)
        #expect(Topic.levels("/a//b") == ["", "a", "", "b"])
        #expect(Topic.levels("a") == ["a"])
        #expect(Topic.hasWildcard("a/+/b"))
        #expect(Topic.hasWildcard("#"))
        #expect(!Topic.hasWildcard("a/b"))
        #expect(Topic.fits("a/b/c", maximumBytes: 5, maximumLevels: 3))
        #expect(!Topic.fits("a/b/c", maximumBytes: 4, maximumLevels: 3))
        #expect(!Topic.fits("a/b/c", maximumBytes: 5, maximumLevels: 2))
        #expect(!Topic.fits("a", maximumBytes: 5, maximumLevels: 0))
        #expect(Topic.fits("日本", maximumBytes: 6, maximumLevels: 1))
        #expect(!Topic.fits("日本", maximumBytes: 5, maximumLevels: 1))
        #expect(Topic.isDollarTopic("$SYS/x"))
        #expect(!Topic.isDollarTopic("SYS/$x"))
    }
}

@Suite("Shared subscriptions")
struct SharedSubscriptionFilterTests {
    static let cases: [(String, SharedSubscriptionFilter.Parsed)] = [
        ("$share/g/t/+", .shared(group: "g", filter: "t/+")),
        ("$share/group1/#", .shared(group: "group1", filter: "#")),
        ("$share/consumer-1/sport/tennis/+", .shared(group: "consumer-1", filter: "sport/tennis/+")),
        ("$share/g//", .shared(group: "g", filter: "/")),
        ("$share/g/$SYS/#", .shared(group: "g", filter: "$SYS/#")),
        // [MQTT-4.8.2-1] [MQTT-4.8.2-2]
        ("$share//t", .invalid),
        ("$share/g", .invalid),
        ("$share/g/", .invalid),
        ("$share/", .invalid),
        ("$share/g+/t", .invalid),
        ("$share/g#/t", .invalid),
        ("$share/+/t", .invalid),
        ("$share/g/t/#/x", .invalid),
        ("$share/g/t+", .invalid),
        // Not shared.
        ("sport/#", .plain("sport/#")),
        ("$SYS/#", .plain("$SYS/#")),
        ("$share", .plain("$share")),
        ("$SHARE/g/t", .plain("$SHARE/g/t")),
        ("a/$share/g/t", .plain("a/$share/g/t")),
        ("sport/tennis#", .invalid),
        ("", .invalid),
    ]

    @Test("parse", arguments: Self.cases)
    func parse(_ filter: String, _ expected: SharedSubscriptionFilter.Parsed) {
        #expect(SharedSubscriptionFilter.parse(filter) == expected)
    }

    @Test("init(parsing:) and subscriptionFilter")
    func parsing() {
        let shared = SharedSubscriptionFilter(parsing: "$share/g1/live/+")
        #expect(shared == SharedSubscriptionFilter(group: "g1", filter: "live/+"))
        #expect(shared?.subscriptionFilter == "$share/g1/live/+")
        #expect(SharedSubscriptionFilter(parsing: "live/+") == nil)
        #expect(SharedSubscriptionFilter(parsing: "$share//x") == nil)
    }
}
