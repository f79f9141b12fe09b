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
/// Masks banned words in chat text: each occurrence, in any letter case, becomes asterisks of the
/// same length. Masking (rather than dropping the message) keeps the conversation readable and
/// shows the sender what happened.
struct WordFilter: Sendable {
    private let words: [[Character]]

    /// - Parameter words: The banned words; empty and whitespace-only entries are ignored.
    init(words: some Sequence<String>) {
        self.words = words
            .map { $0.trimmingWhitespace().lowercased() }
            .filter { !$0.isEmpty }
            .map(Array.init)
    }

    /// Reads one banned word per line; `#` starts a comment line.
    init(fileContents: String) {
        self.init(words: fileContents.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.hasPrefix("#") })
    }

    /// `text` with every banned word masked, and whether anything was masked.
    func apply(to text: String) -> (text: String, masked: Bool) {
        guard !words.isEmpty else { return (text, false) }
        var characters = Array(text)
        let lowered = characters.map { Character($0.lowercased()) }
        var masked = false
        for word in words where word.count <= lowered.count {
            var start = 0
            while start + word.count <= lowered.count {
                if lowered[start..<(start + word.count)].elementsEqual(word) {
                    for index in start..<(start + word.count) { characters[index] = "*" }
                    masked = true
                    start += word.count
                } else {
                    start += 1
                }
            }
        }
        return (String(characters), masked)
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
