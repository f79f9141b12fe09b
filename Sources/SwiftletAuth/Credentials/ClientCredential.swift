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

/// What a CONNECT user name says about how the client authenticates (DESIGN §6).
///
/// The formats follow managed MQTT gateways for mobile fleets: the mode, the access key and the
/// instance, separated by `|`. Anything else is a plain user name for the password file.
package enum ClientCredential: Hashable, Sendable {
    /// `Signature|{AccessKeyId}|{InstanceId}`: password = Base64(HMAC-SHA1(SecretKey, ClientId)).
    case signature(accessKeyID: String, instanceID: String)
    /// `DeviceCredential|{DeviceAccessKeyId}|{InstanceId}`: the same HMAC with a per-device key.
    case deviceCredential(deviceAccessKeyID: String, instanceID: String)
    /// `Token|{AccessKeyId}|{InstanceId}`: password `RW|{token}` or `R|{token}|W|{token}` (or one
    /// of `R|{token}`, `W|{token}` alone; see ``TokenPassword``).
    case token(accessKeyID: String, instanceID: String)
    /// Any other user name: checked against the password file.
    case plain(username: String)

    /// Reads a CONNECT user name. A name that starts with a known mode but is not well formed
    /// (missing or empty parts, extra parts) is nil: it is refused rather than taken as plain.
    package init?(username: String) {
        let parts = username.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count > 1 else {
            self = .plain(username: username)
            return
        }
        let mode = parts[0]
        guard mode == "Signature" || mode == "DeviceCredential" || mode == "Token" else {
            self = .plain(username: username)
            return
        }
        guard parts.count == 3, !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
        let key = String(parts[1])
        let instance = String(parts[2])
        switch mode {
        case "Signature": self = .signature(accessKeyID: key, instanceID: instance)
        case "DeviceCredential": self = .deviceCredential(deviceAccessKeyID: key, instanceID: instance)
        default: self = .token(accessKeyID: key, instanceID: instance)
        }
    }

    /// The user name this credential is written as.
    package var username: String {
        switch self {
        case .signature(let key, let instance): "Signature|\(key)|\(instance)"
        case .deviceCredential(let key, let instance): "DeviceCredential|\(key)|\(instance)"
        case .token(let key, let instance): "Token|\(key)|\(instance)"
        case .plain(let username): username
        }
    }
}

/// A client identifier in the `GroupId@@@DeviceId` convention (DESIGN §5); the group is used by
/// ACL rules (`%g`) and status events.
package struct GroupedClientID: Hashable, Sendable {
    package var groupID: String
    package var deviceID: String

    /// nil when `clientID` does not follow the convention (no `@@@`, or an empty part).
    package init?(_ clientID: String) {
        guard let separator = clientID.firstRange(of: "@@@") else { return nil }
        let group = clientID[..<separator.lowerBound]
        let device = clientID[separator.upperBound...]
        guard !group.isEmpty, !device.isEmpty else { return nil }
        self.groupID = String(group)
        self.deviceID = String(device)
    }
}
