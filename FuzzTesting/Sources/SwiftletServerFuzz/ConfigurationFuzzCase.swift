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
import SwiftletFuzzSupport
import SwiftletServer
import Yams

/// The configuration fuzz case (issue 14): the YAML configuration file and the settings' value
/// parsers behind it and behind the flags.
///
/// Input: a mode byte (its value modulo ``Mode/allCases``' count), then text. What must hold,
/// besides never trapping:
/// - ``Mode/yaml``: any text either applies or is refused with a ``ConfigurationError``;
/// - ``Mode/setting``: a value given as a flag (`apply(key:value:)`) and the same value written
///   as a double-quoted YAML string mean the same: both refused, or both giving equal
///   configurations;
/// - ``Mode/listenAddress``: a `HOST:PORT` that parses prints back to an address that parses to
///   the same.
package enum ConfigurationFuzzCase {
    package enum Mode: UInt8, CaseIterable, Sendable {
        /// The text is a whole config file.
        case yaml
        /// The first line is a setting's key, the rest its value.
        case setting
        /// The text is a listener address.
        case listenAddress
    }

    /// Reading the system's memory size for the defaults costs file reads: done once.
    private static let defaults = ServerConfiguration()

    /// Checks one input; throws when a property does not hold.
    package static func check(_ data: [UInt8]) throws(FuzzFailure) {
        var input = FuzzInput(data)
        let mode = Mode(rawValue: input.byte() % UInt8(Mode.allCases.count))!
        let text = String(decoding: input.rest(), as: UTF8.self)
        switch mode {
        case .yaml:
            try Self.checkYAML(text)
        case .setting:
            let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
            try Self.checkSetting(key: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : "")
        case .listenAddress:
            try Self.checkListenAddress(text)
        }
    }

    /// Builds an input: the seed corpus is written through this.
    package static func input(_ mode: Mode, _ text: String) -> [UInt8] {
        [mode.rawValue] + Array(text.utf8)
    }

    // MARK: - Modes

    private static func checkYAML(_ text: String) throws(FuzzFailure) {
        // `password-file` reads the file it names, and a fuzzer would name /dev/zero or a FIFO; its
        // parser has its own fuzz case. Composed here to find the key however the YAML spells it.
        if let mapping = (try? Yams.compose(yaml: text))?.mapping,
            mapping.keys.contains(where: { $0.string == "password-file" })
        {
            return
        }
        var configuration = Self.defaults
        try? configuration.apply(yaml: text, source: "fuzz.yaml")
    }

    private static func checkSetting(key: String, value: String) throws(FuzzFailure) {
        guard key != "password-file" else { return }
        var flag = Self.defaults
        let flagResult = Result { () throws(ConfigurationError) in try flag.apply(key: key, value: value) }
        var file = Self.defaults
        let yaml = "\(Self.doubleQuoted(key)): \(Self.doubleQuoted(value))\n"
        let fileResult = Result { () throws(ConfigurationError) in try file.apply(yaml: yaml, source: "fuzz.yaml") }
        switch (flagResult, fileResult) {
        case (.success, .success):
            try fuzzCheck(flag == file, "\(key) '\(value)' as a flag and in YAML gave different configurations")
        case (.failure, .failure):
            break
        default:
            // `rooms`, `access-keys` and `acl` are lists in a file and flags of their own name
            // (`room`, `access-key`, `acl`): only `acl` is both, and its scalar form in a file is
            // refused by design (a file lists rules as mappings).
            guard key == "acl" || key == "rooms" || key == "access-keys" else {
                throw FuzzFailure("\(key) '\(value)': as a flag \(flagResult), in YAML \(fileResult)")
            }
        }
    }

    private static func checkListenAddress(_ text: String) throws(FuzzFailure) {
        guard let address = ListenAddress(parsing: text) else { return }
        try fuzzCheck(
            ListenAddress(parsing: address.description) == address,
            "'\(text)' parsed as \(address), which does not parse back"
        )
    }

    /// `text` as a YAML double-quoted scalar (YAML 1.2 §7.3.1): every character outside the
    /// printable set of §5.1, and the quote, backslash and line breaks, escaped.
    static func doubleQuoted(_ text: String) -> String {
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: quoted += "\\\""
            case 0x5C: quoted += "\\\\"
            case 0x20...0x7E, 0xA0...0xD7FF, 0xE000...0xFEFE, 0xFF00...0xFFFD:
                quoted.unicodeScalars.append(scalar)
            case 0...0xFF: quoted += "\\x" + Self.hex(scalar.value, digits: 2)
            case 0x100...0xFFFF: quoted += "\\u" + Self.hex(scalar.value, digits: 4)
            default: quoted += "\\U" + Self.hex(scalar.value, digits: 8)
            }
        }
        return quoted + "\""
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
