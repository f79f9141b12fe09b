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
import SwiftletMQTT

/// One ACL rule (DESIGN §6): allow or deny an action on topics that match a filter, for some
/// clients. The filter may name the client: `%c` (client ID), `%u` (user name), `%g` (the group of
/// a `GroupId@@@DeviceId` client ID).
package struct AccessRule: Sendable, Hashable {
    package enum Permission: String, Sendable, Hashable, CaseIterable {
        case allow, deny
    }

    package enum Action: String, Sendable, Hashable, CaseIterable {
        case publish, subscribe, all
    }

    /// Which clients a rule is about.
    package enum Who: String, Sendable, Hashable, CaseIterable {
        case all, anonymous, device, cloud
    }

    package var permission: Permission
    package var action: Action
    package var filter: String
    package var who: Who

    package init(_ permission: Permission, _ action: Action, _ filter: String, who: Who = .all) {
        self.permission = permission
        self.action = action
        self.filter = filter
        self.who = who
    }

    /// Why the rule cannot be used, or nil. The filter is checked with placeholders filled in by
    /// a plain level, so `chat/%g/#` is valid and `chat/%g#` is not.
    package var problem: String? {
        let sample = filter.replacingPlaceholders(clientID: "c", username: "u", group: "g")
        guard let sample, case .plain = SharedSubscriptionFilter.parse(sample) else {
            return "'\(filter)' is not a topic filter"
        }
        return nil
    }
}

/// The facts about a client that ACL rules look at.
package struct AccessSubject: Sendable, Hashable {
    package var clientID: String
    package var username: String?
    package var identity: ClientIdentity

    package init(clientID: String, username: String?, identity: ClientIdentity) {
        self.clientID = clientID
        self.username = username
        self.identity = identity
    }

    var group: String? { GroupedClientID(clientID)?.groupID }

    func isCovered(by who: AccessRule.Who) -> Bool {
        switch who {
        case .all: true
        case .anonymous: identity.kind == .anonymous
        case .device: identity.kind != .anonymous && identity.role == .device
        case .cloud: identity.role == .cloud
        }
    }
}

/// Ordered ACL rules: the first rule that applies to the client, the action and the topic
/// decides; when none does, `defaultPermission` does.
package struct AccessControl: Sendable, Hashable {
    package var rules: [AccessRule]
    package var defaultPermission: AccessRule.Permission

    package init(rules: [AccessRule] = [], defaultPermission: AccessRule.Permission = .allow) {
        self.rules = rules
        self.defaultPermission = defaultPermission
    }

    package var isEmpty: Bool { rules.isEmpty && defaultPermission == .allow }

    /// Whether `subject` may publish to the topic `topic`.
    package func allowsPublish(_ subject: AccessSubject, topic: String) -> Bool {
        decide(subject, .publish) { Topic.matches(filter: $0, topic: topic) }
    }

    /// Whether `subject` may subscribe to `filter`: a rule applies when its filter covers the
    /// whole subscription, so that `allow subscribe chat/%g/#` does not let `#` through.
    package func allowsSubscribe(_ subject: AccessSubject, filter: String) -> Bool {
        decide(subject, .subscribe) { TopicFilterCoverage.covers($0, filter) }
    }

    private func decide(_ subject: AccessSubject, _ action: AccessRule.Action, matches: (String) -> Bool) -> Bool {
        for rule in rules where rule.action == action || rule.action == .all {
            guard subject.isCovered(by: rule.who),
                let filter = rule.filter.replacingPlaceholders(
                    clientID: subject.clientID, username: subject.username, group: subject.group),
                matches(filter)
            else { continue }
            return rule.permission == .allow
        }
        return defaultPermission == .allow
    }
}

extension String {
    /// The filter with `%c`, `%u` and `%g` filled in, or nil when a placeholder has no value for
    /// this client or its value would change the filter's shape (it contains `/`, `+` or `#`): such
    /// a rule does not apply to the client.
    func replacingPlaceholders(clientID: String, username: String?, group: String?) -> String? {
        guard contains("%") else { return self }
        var result = ""
        var iterator = makeIterator()
        while let character = iterator.next() {
            guard character == "%" else {
                result.append(character)
                continue
            }
            let value: String?
            switch iterator.next() {
            case "c": value = clientID
            case "u": value = username
            case "g": value = group
            case let other?:
                // Not a placeholder: kept as written.
                result += "%" + String(other)
                continue
            case nil:
                result += "%"
                continue
            }
            guard let value, !value.isEmpty, !value.contains(where: { $0 == "/" || $0 == "+" || $0 == "#" }) else {
                return nil
            }
            result += value
        }
        return result
    }
}
