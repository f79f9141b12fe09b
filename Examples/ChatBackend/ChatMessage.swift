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
/// A chat message as the demo page sends and shows it (docs/web-demo.md): JSON
/// `{"id","from","nick","text","ts"}`.
struct ChatMessage: Codable, Equatable, Sendable {
    /// Chosen by the sender (a UUID), so a page can drop the copy it already has from history.
    var id: String
    /// The sender's MQTT client ID. The relay overwrites it with the client ID the broker
    /// reports (the `clientId` user property), so nobody can speak in another's name.
    var from: String
    var nick: String
    var text: String
    /// Milliseconds since 1970.
    var ts: Int64

    /// Longest text relayed; the page allows 500 characters.
    static let maximumTextLength = 500
}
