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

/// Signature-mode passwords (DESIGN §6): Base64(HMAC-SHA1(SecretKey, ClientId)).
///
/// HMAC-SHA1 is what the credential format prescribes and what existing mobile SDKs compute;
/// SHA-1's collision weakness does not affect HMAC. The secret never leaves the device or the
/// broker: the password proves the client holds it, for this client ID only.
package enum Signature {
    /// The password a client with `secretKey` sends when connecting as `clientID`.
    package static func password(secretKey: String, clientID: String) -> String {
        let key = SymmetricKey(data: Array(secretKey.utf8))
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(clientID.utf8), using: key)
        return Data(mac).base64EncodedString()
    }

    /// Whether `password` is the signature of `clientID` under `secretKey`. Compares in constant
    /// time, so that a client cannot learn the signature byte by byte from response times.
    package static func isValid(password: some Collection<UInt8>, secretKey: String, clientID: String) -> Bool {
        let expected = Array(self.password(secretKey: secretKey, clientID: clientID).utf8)
        return constantTimeEquals(expected, Array(password))
    }
}

/// Equality whose running time depends only on the lengths.
package func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
