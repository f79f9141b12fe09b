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

/// The payload a client publishes to `$SYS/uploadToken` to renew its tokens in session (the
/// model of managed MQTT gateways): JSON `{"token":"…","type":"RW"}` (`type` `R`, `W` or `RW`),
/// or a token password as at CONNECT (`RW|token`, `R|token|W|token`, `R|token`, `W|token`).
package enum TokenUpload {
    /// Longest payload read: two tokens of ``TokenCodec/maxEncodedLength`` and change.
    package static let maxPayloadLength = 2 * TokenCodec.maxEncodedLength + 256

    /// The tokens and the actions claimed for each, or nil when the payload is neither form.
    package static func parse(_ payload: [UInt8]) -> TokenPassword? {
        guard !payload.isEmpty, payload.count <= maxPayloadLength else { return nil }
        let isWhitespace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        if payload.first(where: { !isWhitespace($0) }) == UInt8(ascii: "{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any],
                let token = object["token"] as? String, !token.isEmpty, !token.contains("|"),
                let type = object["type"] as? String, let actions = TokenActions(type)
            else { return nil }
            return TokenPassword(tokens: [(actions, token)])
        }
        guard let text = String(validating: payload, as: UTF8.self) else { return nil }
        return TokenPassword(text)
    }
}
