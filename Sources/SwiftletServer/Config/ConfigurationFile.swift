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
