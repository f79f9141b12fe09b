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
        guard let sequence = node.sequence else {
            throw ConfigurationError("\(source): 'rooms' must be a list of room policies")
        }
        for entry in sequence {
            guard let mapping = entry.mapping else {
                throw ConfigurationError("\(source): each entry of 'rooms' must be a mapping with a 'match' key")
            }
            var settings: [(key: String, value: String)] = []
            for (key, value) in mapping {
                guard let name = key.string, let scalar = value.scalar else {
                    throw ConfigurationError("\(source): room settings must be single values")
                }
                settings.append((name, scalar.string))
            }
            do {
                broker.rooms.append(try RoomPolicy(settings: settings))
            } catch {
                throw ConfigurationError("\(source): \(error.description)")
            }
        }
    }

    /// `access-keys:` is a list of `{id, secret, role}` mappings (role `device` or `cloud`).
    private mutating func applyAccessKeys(_ node: Node, source: String) throws(ConfigurationError) {
        guard let sequence = node.sequence else {
            throw ConfigurationError("\(source): 'access-keys' must be a list of {id, secret, role}")
        }
        for entry in sequence {
            guard let mapping = entry.mapping,
                let id = mapping["id"]?.string, !id.isEmpty,
                let secret = mapping["secret"]?.string, !secret.isEmpty,
                let roleName = mapping["role"]?.string ?? Optional("device"),
                let role = AccessKey.Role(rawValue: roleName),
                mapping.keys.allSatisfy({ ["id", "secret", "role"].contains($0.string ?? "") })
            else {
                throw ConfigurationError(
                    "\(source): each access key needs 'id' and 'secret' and may have 'role' (device or cloud), nothing else")
            }
            broker.accessKeys.append(AccessKey(id: id, secret: secret, role: role))
        }
    }

    /// `acl:` is a list of `{permission, action, filter, who}` rules, first match wins.
    private mutating func applyACL(_ node: Node, source: String) throws(ConfigurationError) {
        guard let sequence = node.sequence else {
            throw ConfigurationError("\(source): 'acl' must be a list of rules")
        }
        for entry in sequence {
            guard let mapping = entry.mapping,
                mapping.keys.allSatisfy({ ["permission", "action", "filter", "who"].contains($0.string ?? "") })
            else {
                throw ConfigurationError("\(source): each acl rule is a mapping of permission, action, filter and who")
            }
            do {
                broker.accessControl.rules.append(
                    try AccessRule(
                        permission: mapping["permission"]?.string, action: mapping["action"]?.string,
                        filter: mapping["filter"]?.string, who: mapping["who"]?.string))
            } catch {
                throw ConfigurationError("\(source): \(error.description)")
            }
        }
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
