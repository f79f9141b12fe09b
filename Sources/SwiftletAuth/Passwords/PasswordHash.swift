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
import Crypto
import Foundation

/// One password hash in the format of Mosquitto's password files, so that files written by
/// `mosquitto_passwd` work unchanged (mosquitto 2.0, `common/password_mosq.c`; checked against
/// Debian's mosquitto_passwd 2.0.11):
///
/// - `$7$ITERATIONS$SALT$HASH`: PBKDF2-HMAC-SHA512 of the password with the salt, 64 bytes
///   (`sha512-pbkdf2`, mosquitto_passwd's default since 2.0, 101 iterations, 12-byte salt);
/// - `$6$SALT$HASH`: SHA-512 of the password followed by the salt (`sha512`, Mosquitto 1.6).
///
/// Salt and hash are standard Base64 with padding.
package enum PasswordHash: Hashable, Sendable {
    case sha512(salt: [UInt8], hash: [UInt8])
    case pbkdf2SHA512(iterations: Int, salt: [UInt8], hash: [UInt8])

    /// What mosquitto_passwd 2.0 uses.
    package static let defaultIterations = 101
    package static let saltLength = 12
    /// Most PBKDF2 iterations accepted: each CONNECT with a user name pays for them on an event
    /// loop, so a file cannot make one check take more than a few tens of milliseconds.
    package static let maxIterations = 100_000

    /// Parses `$7$…` or `$6$…`; nil for anything else, including a plain-text password (which
    /// Mosquitto 2.0 does not accept either).
    package init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        // A leading `$` makes the first part empty.
        guard parts.count >= 4, parts[0].isEmpty else { return nil }
        switch parts[1] {
        case "6" where parts.count == 4:
            guard let salt = Self.base64(parts[2]), let hash = Self.base64(parts[3]), hash.count == SHA512.byteCount,
                !salt.isEmpty
            else { return nil }
            self = .sha512(salt: salt, hash: hash)
        case "7" where parts.count == 5:
            guard let iterations = Int(parts[2]), (1...Self.maxIterations).contains(iterations),
                let salt = Self.base64(parts[3]), !salt.isEmpty, let hash = Self.base64(parts[4]),
                hash.count == SHA512.byteCount
            else { return nil }
            self = .pbkdf2SHA512(iterations: iterations, salt: salt, hash: hash)
        default:
            return nil
        }
    }

    /// A new `$7$` hash of `password` with a random salt.
    package static func make(
        password: String, iterations: Int = defaultIterations, salt: [UInt8]? = nil
    ) -> PasswordHash {
        let salt = salt ?? randomSalt()
        let hash = PBKDF2.sha512(password: Array(password.utf8), salt: salt, iterations: iterations)
        return .pbkdf2SHA512(iterations: iterations, salt: salt, hash: hash)
    }

    /// Whether `password` hashes to this value. The final comparison takes the same time
    /// whichever byte differs.
    package func matches(_ password: some Collection<UInt8>) -> Bool {
        switch self {
        case .sha512(let salt, let hash):
            var digest = SHA512()
            digest.update(data: Array(password))
            digest.update(data: salt)
            return constantTimeEquals(Array(digest.finalize()), hash)
        case .pbkdf2SHA512(let iterations, let salt, let hash):
            let derived = PBKDF2.sha512(password: password, salt: salt, iterations: iterations, keyLength: hash.count)
            return constantTimeEquals(derived, hash)
        }
    }

    /// The text form, as written in a password file after `user:`.
    package var text: String {
        switch self {
        case .sha512(let salt, let hash):
            "$6$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
        case .pbkdf2SHA512(let iterations, let salt, let hash):
            "$7$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
        }
    }

    private static func base64(_ text: some StringProtocol) -> [UInt8]? {
        Data(base64Encoded: String(text)).map(Array.init)
    }

    private static func randomSalt() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<saltLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}
