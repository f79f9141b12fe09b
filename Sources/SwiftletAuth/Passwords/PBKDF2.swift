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

/// PBKDF2 (RFC 8018 §5.2) over HMAC-SHA-512, the key derivation behind Mosquitto's `$7$`
/// password hashes. swift-crypto 3.12 has no PBKDF2 of its own (`KDF.Insecure.PBKDF2` arrived
/// later), so it is written here on top of its HMAC.
package enum PBKDF2 {
    /// Derives `keyLength` bytes from `password` and `salt`.
    /// - Precondition: `iterations` and `keyLength` are at least 1.
    package static func sha512(
        password: some Collection<UInt8>, salt: some Collection<UInt8>, iterations: Int, keyLength: Int = 64
    ) -> [UInt8] {
        precondition(iterations >= 1 && keyLength >= 1, "PBKDF2 needs at least one iteration and one byte")
        // The keyed HMAC state is built once and copied per block and iteration: the key's inner
        // and outer pads are not hashed again each time.
        let keyed = HMAC<SHA512>(key: SymmetricKey(data: Array(password)))
        let salt = Array(salt)
        var derived: [UInt8] = []
        derived.reserveCapacity(keyLength + SHA512.byteCount)
        var blockIndex: UInt32 = 1
        while derived.count < keyLength {
            // U_1 = PRF(P, S || INT(i)); T_i = U_1 ^ U_2 ^ ... ^ U_c (RFC 8018 §5.2 step 3).
            var mac = keyed
            mac.update(data: salt)
            mac.update(data: [
                UInt8(truncatingIfNeeded: blockIndex >> 24), UInt8(truncatingIfNeeded: blockIndex >> 16),
                UInt8(truncatingIfNeeded: blockIndex >> 8), UInt8(truncatingIfNeeded: blockIndex),
            ])
            var u = Array(mac.finalize())
            var block = u
            for _ in 1..<iterations {
                var next = keyed
                next.update(data: u)
                u = Array(next.finalize())
                for index in block.indices { block[index] ^= u[index] }
            }
            derived += block
            blockIndex += 1
        }
        return Array(derived.prefix(keyLength))
    }
}
