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
import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SwiftletAuth

/// `swiftlet passwd`: adds or updates a user in a Mosquitto-compatible password file.
struct PasswdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwd",
        abstract: "Add or update a user in a Mosquitto-format password file.",
        discussion: """
            Writes USER:$7$101$SALT$HASH, the format of mosquitto_passwd 2.0, so the file works
            with both brokers. The password is read from standard input (prompted without echo on a
            terminal) unless --password is given (which leaves it in the shell history). The file is created with
            mode 0600 if it does not exist; other users' lines are kept. --delete removes USER.
            """
    )

    @Argument(help: "The password file.")
    var file: String

    @Argument(help: "The user name.")
    var user: String

    @Option(name: .long, help: "The password (default: read a line from standard input).")
    var password: String?

    @Option(name: .long, help: "PBKDF2 iterations (default 101, as mosquitto_passwd).")
    var iterations: Int = PasswordHash.defaultIterations

    @Flag(name: .long, help: "Remove the user instead.")
    var delete = false

    func validate() throws {
        guard !user.isEmpty, !user.contains(":"), !user.contains(where: \.isNewline) else {
            throw ValidationError("the user name must be non-empty, without ':' or line breaks")
        }
        guard (1...PasswordHash.maxIterations).contains(iterations) else {
            throw ValidationError("--iterations: expected 1 to \(PasswordHash.maxIterations)")
        }
    }

    func run() throws {
        var passwords = PasswordFile()
        if FileManager.default.fileExists(atPath: file) {
            do {
                passwords = try PasswordFile(contentsOf: file)
            } catch {
                throw ValidationError(error.description)
            }
        }
        if delete {
            guard passwords[user] != nil else { throw ValidationError("\(file): no user '\(user)'") }
            passwords[user] = nil
        } else {
            guard let secret = password ?? Self.readPassword(), !secret.isEmpty else {
                throw ValidationError("no password given (pass --password or one line on standard input)")
            }
            passwords[user] = PasswordHash.make(password: secret, iterations: iterations)
        }
        try write(passwords.text)
    }

    /// A line of standard input; from a terminal, prompted and not echoed (as mosquitto_passwd).
    private static func readPassword() -> String? {
        guard isatty(STDIN_FILENO) == 1 else { return readLine(strippingNewline: true) }
        guard let typed = getpass("Password: ") else { return nil }
        return String(cString: typed)
    }

    /// Replaces the file in one step (a temporary file renamed over it), so that a broker reading
    /// it never sees half a file. The new file keeps the old one's mode, or gets 0600: it is
    /// created with that mode, so no other user can open it in between.
    private func write(_ text: String) throws {
        let manager = FileManager.default
        let mode = (try? manager.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue ?? 0o600
        let temporary = file + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        guard manager.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
        else { throw ValidationError("\(file): cannot write \(temporary)") }
        guard rename(temporary, file) == 0 else {
            try? manager.removeItem(atPath: temporary)
            throw ValidationError("\(file): cannot be replaced (errno \(errno))")
        }
    }
}
