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

/// Why a password file cannot be used. Never quotes a hash or a password.
package struct PasswordFileError: Error, Hashable, Sendable, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// A Mosquitto-compatible password file (DESIGN §6): one `user:HASH` per line, HASH as in
/// ``PasswordHash``; blank lines and lines starting with `#` are skipped. The user name is
/// everything before the first `:`, as Mosquitto reads it.
package struct PasswordFile: Hashable, Sendable {
    /// User names in file order, and their hashes.
    package private(set) var users: [String]
    private var hashes: [String: PasswordHash]

    /// Most users read from one file, and the longest line.
    package static let maxUsers = 1_000_000
    package static let maxLineLength = 65_536

    package init() {
        users = []
        hashes = [:]
    }

    /// - Throws: ``PasswordFileError`` naming the first bad line by number.
    package init(parsing text: String) throws(PasswordFileError) {
        self.init()
        var lineNumber = 0
        // "\r\n" is one Character in Swift, so splitting on "\n" alone would leave a file with
        // CRLF line ends (written on Windows) as one long line (found by the auth-parsers fuzzer).
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        for rawLine in lines {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) || line.hasPrefix("#") { continue }
            guard line.utf8.count <= Self.maxLineLength else {
                throw PasswordFileError("line \(lineNumber): longer than \(Self.maxLineLength) bytes")
            }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw PasswordFileError("line \(lineNumber): expected user:hash")
            }
            let user = String(line[..<colon])
            guard let hash = PasswordHash(line[line.index(after: colon)...]) else {
                throw PasswordFileError(
                    "line \(lineNumber): user '\(user)' has no $6$ or $7$ hash (plain-text passwords are not "
                        + "accepted; hash them with swiftlet passwd or mosquitto_passwd)"
                )
            }
            guard hashes[user] == nil else {
                throw PasswordFileError("line \(lineNumber): user '\(user)' appears twice")
            }
            guard users.count < Self.maxUsers else {
                throw PasswordFileError("more than \(Self.maxUsers) users")
            }
            users.append(user)
            hashes[user] = hash
        }
    }

    /// Reads and parses the file at `path`.
    /// - Throws: ``PasswordFileError`` when it cannot be read or a line is bad, naming the path.
    package init(contentsOf path: String) throws(PasswordFileError) {
        // FileHandle rather than String(contentsOfFile:), which cannot read character devices
        // such as /dev/null (an empty file) on Linux.
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw PasswordFileError("'\(path)' cannot be opened")
        }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() ?? Data(), let text = String(data: data, encoding: .utf8) else {
            throw PasswordFileError("'\(path)' cannot be read as UTF-8 text")
        }
        do {
            try self.init(parsing: text)
        } catch {
            throw PasswordFileError("'\(path)' \(error.description)")
        }
    }

    package var count: Int { users.count }

    package subscript(user: String) -> PasswordHash? {
        get { hashes[user] }
        set {
            if hashes[user] == nil, newValue != nil { users.append(user) }
            if newValue == nil { users.removeAll { $0 == user } }
            hashes[user] = newValue
        }
    }

    /// Whether `user` is in the file and `password` is theirs. An unknown user costs a hash as
    /// well, so that response times do not tell which user names exist.
    package func check(user: String, password: some Collection<UInt8>) -> Bool {
        guard let hash = hashes[user] else {
            _ = Self.decoy.matches(password)
            return false
        }
        return hash.matches(password)
    }

    private static let decoy = PasswordHash.make(
        password: "", salt: Array(repeating: 0, count: PasswordHash.saltLength))

    /// The file's text: one `user:HASH` line per user, in order.
    package var text: String {
        users.compactMap { user in hashes[user].map { "\(user):\($0.text)\n" } }.joined()
    }
}
