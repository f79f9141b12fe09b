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
import SwiftletBroker

extension AccessRule {
    /// Builds a rule from the config file's `{permission, action, filter, who}` mapping or the
    /// `--acl` flag's words.
    init(permission: String?, action: String?, filter: String?, who: String?) throws(ConfigurationError) {
        guard let permission, let parsedPermission = Permission(rawValue: permission) else {
            throw ConfigurationError("acl: permission must be allow or deny")
        }
        guard let action, let parsedAction = Action(rawValue: action) else {
            throw ConfigurationError("acl: action must be publish, subscribe or all")
        }
        guard let filter else { throw ConfigurationError("acl: a rule needs a filter") }
        guard let parsedWho = Who(rawValue: who ?? "all") else {
            throw ConfigurationError("acl: who must be all, anonymous, device or cloud")
        }
        self.init(parsedPermission, parsedAction, filter, who: parsedWho)
        if let problem { throw ConfigurationError("acl: \(problem)") }
    }

    /// `--acl 'allow publish chat/%g/# device'`: permission, action, filter, and optionally who.
    init(flag: String) throws(ConfigurationError) {
        let words = flag.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count == 3 || words.count == 4 else {
            throw ConfigurationError("acl: expected 'PERMISSION ACTION FILTER [WHO]', got '\(flag)'")
        }
        try self.init(permission: words[0], action: words[1], filter: words[2], who: words.count == 4 ? words[3] : nil)
    }
}
