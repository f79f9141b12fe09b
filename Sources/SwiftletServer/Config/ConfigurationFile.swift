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
import SwiftletBroker
import Yams

extension ServerConfiguration {
    /// Applies a YAML config file: a mapping whose keys are the flag names without dashes
    /// (`max-packet-size: 4096`). Unknown keys are errors, so a typo never goes unnoticed.
    package mutating func apply(yaml text: String, source: String) throws(ConfigurationError) {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError("\(source): not valid YAML: \(error)")
        }
        guard let node else { return }  // an empty file changes nothing
        guard let mapping = node.mapping else {
            throw ConfigurationError("\(source): expected a mapping of settings at the top level")
        }
        for (key, value) in mapping {
            guard let name = key.string else {
                throw ConfigurationError("\(source): setting names must be strings")
            }
            if name == "rooms" {
                try applyRooms(value, source: source)
                continue
            }
            if name == "access-keys" {
                try applyAccessKeys(value, source: source)
                continue
            }
            if name == "acl" {
                try applyACL(value, source: source)
                continue
            }
            guard let scalar = value.scalar else {
                throw ConfigurationError("\(source): '\(name)' must be a single value")
            }
            do {
                try apply(key: name, value: scalar.string)
            } catch {
                throw ConfigurationError("\(source): \(error.description)")
            }
        }
    }

    /// `rooms:` is a list of room policies, each a mapping (DESIGN §5):
    ///
    ///     rooms:
    ///       - match: "live/#"
    ///         batch_ms: 30
    ///         rate_limit: 500/s
    ///         overflow: drop_oldest
    private mutating func applyRooms(_ node: Node, source: String) throws(ConfigurationError) {
        let entries = try Self.entries(
            of: node, source: source, notAList: "'rooms' must be a list of room policies",
            notAMapping: "each entry of 'rooms' must be a mapping with a 'match' key",
            notAScalar: "room settings must be single values")
        for settings in entries {
            do {
                broker.rooms.append(try RoomPolicy(settings: settings))
            } catch {
                throw ConfigurationError("\(source): \(error.description)")
            }
        }
    }

    /// `access-keys:` is a list of `{id, secret, role}` mappings (role `device` or `cloud`).
    private mutating func applyAccessKeys(_ node: Node, source: String) throws(ConfigurationError) {
        // One message for every way an entry can be wrong: it never quotes the secret.
        let problem = "each access key needs 'id' and 'secret' and may have 'role' (device or cloud), nothing else"
        let entries = try Self.entries(
            of: node, source: source, notAList: "'access-keys' must be a list of {id, secret, role}",
            notAMapping: problem, notAScalar: problem)
        for entry in entries {
            let fields = Dictionary(entry, uniquingKeysWith: { first, _ in first })
            guard fields.keys.allSatisfy(["id", "secret", "role"].contains),
                let id = fields["id"], !id.isEmpty, let secret = fields["secret"], !secret.isEmpty,
                let role = AccessKey.Role(rawValue: fields["role"] ?? "device")
            else { throw ConfigurationError("\(source): \(problem)") }
            broker.accessKeys.append(AccessKey(id: id, secret: secret, role: role))
        }
    }

    /// `acl:` is a list of `{permission, action, filter, who}` rules, first match wins.
    private mutating func applyACL(_ node: Node, source: String) throws(ConfigurationError) {
        let problem = "each acl rule is a mapping of permission, action, filter and who"
        let entries = try Self.entries(
            of: node, source: source, notAList: "'acl' must be a list of rules", notAMapping: problem,
            notAScalar: problem)
        for entry in entries {
            let fields = Dictionary(entry, uniquingKeysWith: { first, _ in first })
            guard fields.keys.allSatisfy(["permission", "action", "filter", "who"].contains) else {
                throw ConfigurationError("\(source): \(problem)")
            }
            do {
                broker.accessControl.rules.append(
                    try AccessRule(
                        permission: fields["permission"], action: fields["action"], filter: fields["filter"],
                        who: fields["who"]))
            } catch {
                throw ConfigurationError("\(source): \(error.description)")
            }
        }
    }

    /// The entries of a setting that is a list of mappings of single values (`rooms`,
    /// `access-keys`, `acl`), each as its key-value pairs in file order.
    private static func entries(
        of node: Node, source: String, notAList: String, notAMapping: String, notAScalar: String
    ) throws(ConfigurationError) -> [[(key: String, value: String)]] {
        guard let sequence = node.sequence else { throw ConfigurationError("\(source): \(notAList)") }
        var entries: [[(key: String, value: String)]] = []
        for entry in sequence {
            guard let mapping = entry.mapping else { throw ConfigurationError("\(source): \(notAMapping)") }
            var fields: [(key: String, value: String)] = []
            for (key, value) in mapping {
                guard let name = key.string, let scalar = value.scalar else {
                    throw ConfigurationError("\(source): \(notAScalar)")
                }
                fields.append((name, scalar.string))
            }
            entries.append(fields)
        }
        return entries
    }

    /// Reads and applies a config file.
    package mutating func apply(fileAt path: String) throws(ConfigurationError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError("cannot read config file '\(path)': \(error.localizedDescription)")
        }
        try apply(yaml: text, source: path)
    }
}
