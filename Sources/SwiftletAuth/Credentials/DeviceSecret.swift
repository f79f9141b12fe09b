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

/// Per-device secrets for `DeviceCredential|{DeviceAccessKeyId}|{InstanceId}` (DESIGN §6: the
/// signature HMAC, with a per-device key).
///
/// A device's secret is derived from an access key's secret and the device's client ID, so the
/// broker checks it without a database and a backend can hand each device its own secret: one
/// leaked device secret signs for that client ID only, never for another device or as the key.
///
///     deviceSecret = Base64url(HMAC-SHA256(accessKeySecret, "DeviceCredential\n" + clientID)), unpadded
///     password     = Base64(HMAC-SHA1(deviceSecret, clientID))        (as in signature mode)
package enum DeviceSecret {
    package static func derive(accessKeySecret: String, clientID: String) -> String {
        let message = Array("DeviceCredential\n\(clientID)".utf8)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(accessKeySecret.utf8)))
        return Data(code).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
