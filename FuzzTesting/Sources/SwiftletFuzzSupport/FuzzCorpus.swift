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

/// The committed inputs of the fuzz targets, for the unit tests that replay them:
/// `FuzzTesting/Corpus/<target>/` holds the seeds, `FuzzTesting/FailCases/<target>/` every input
/// that once crashed a target or broke a property (kept as a regression test once fixed).
package enum FuzzCorpus {
    /// One committed input.
    package struct Input: Sendable, CustomStringConvertible {
        /// The file, relative to the package root.
        package var path: String
        package var bytes: [UInt8]

        package var description: String { self.path }
    }

    /// Set to `1` to have the seed-writing tests rewrite `FuzzTesting/Corpus/` from the unit
    /// tests' fixtures; without it they do nothing.
    package static let writeSeedsVariable = "SWIFTLET_WRITE_FUZZ_CORPUS"

    package static var isWritingSeeds: Bool {
        ProcessInfo.processInfo.environment[Self.writeSeedsVariable] == "1"
    }

    /// Every committed input of `target` (`mqtt-decoder`, …): its seeds and its fail cases.
    ///
    /// - Parameter filePath: `#filePath` of the calling test, which lies two levels below the
    ///   package root (`Tests/<Target>Tests/<File>.swift`).
    package static func committedInputs(of target: String, filePath: String = #filePath) -> [Input] {
        let root = Self.packageRoot(filePath)
        return ["FuzzTesting/Corpus/", "FuzzTesting/FailCases/"].flatMap { folder in
            let directory = folder + target
            let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + directory)) ?? []
            return names.sorted().filter { !$0.hasPrefix(".") }.compactMap { name in
                FileManager.default.contents(atPath: "\(root)/\(directory)/\(name)").map {
                    Input(path: "\(directory)/\(name)", bytes: Array($0))
                }
            }
        }
    }

    /// What replaying a target's committed inputs found.
    package struct Replay: Sendable {
        /// How many inputs were replayed.
        package var inputs: Int
        /// One line per input that broke a property: its file and what broke.
        package var failures: [String]
    }

    /// Runs `check` on every committed input of `target` (``committedInputs(of:filePath:)``), for
    /// the unit tests that keep every seed and every past failure passing.
    package static func replay(
        _ target: String, _ check: ([UInt8]) throws(FuzzFailure) -> Void, filePath: String = #filePath
    ) -> Replay {
        let inputs = Self.committedInputs(of: target, filePath: filePath)
        var failures: [String] = []
        for input in inputs {
            do throws(FuzzFailure) {
                try check(input.bytes)
            } catch {
                failures.append("\(input): \(error)")
            }
        }
        return Replay(inputs: inputs.count, failures: failures)
    }

    /// Replaces the seeds of `target` with `seeds`, named by the fixture they come from.
    package static func writeSeeds(_ seeds: [(name: String, bytes: [UInt8])], of target: String, filePath: String = #filePath) throws {
        let directory = Self.packageRoot(filePath) + "/FuzzTesting/Corpus/" + target
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var used: Set<String> = []
        for seed in seeds {
            var name = Self.fileName(seed.name)
            var suffix = 2
            while used.contains(name) {
                name = "\(Self.fileName(seed.name))-\(suffix)"
                suffix += 1
            }
            used.insert(name)
            try Data(seed.bytes).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
    }

    /// Writes `FuzzTesting/Dictionaries/<target>.dict`: words libFuzzer splices into inputs, for
    /// the keys and names a target compares whole, which mutation alone seldom spells out.
    package static func writeDictionary(_ words: [String], of target: String, filePath: String = #filePath) throws {
        let directory = Self.packageRoot(filePath) + "/FuzzTesting/Dictionaries"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // libFuzzer's dictionary format (AFL's): one quoted word a line, `\\`, `\"` and `\xNN`
        // escapes.
        var text = "# Written by FuzzInputTests (SWIFTLET_WRITE_FUZZ_CORPUS=1); do not edit.\n"
        for word in Set(words).sorted() {
            var quoted = ""
            for byte in word.utf8 {
                switch byte {
                case UInt8(ascii: "\\"), UInt8(ascii: "\""): quoted += "\\" + String(UnicodeScalar(byte))
                case 0x20...0x7E: quoted.append(Character(UnicodeScalar(byte)))
                default: quoted += "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
                }
            }
            text += "\"\(quoted)\"\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(target).dict"))
    }

    /// A fixture's name as a file name: lower-case letters, digits and dashes, at most 60.
    private static func fileName(_ name: String) -> String {
        var result = ""
        for character in name.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber) {
                result.append(character)
            } else if !result.isEmpty && result.last != "-" {
                result.append("-")
            }
        }
        while result.last == "-" { result.removeLast() }
        return String(result.prefix(60))
    }

    private static func packageRoot(_ filePath: String) -> String {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
}
