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

/// The server side of the WebSocket opening handshake (RFC 6455 §4.2), as a pure function over
/// the request's method, version, target and header fields.
///
/// It reads nothing from a socket and writes nothing: the HTTP server hands it the parsed request
/// and sends the answer it returns. permessage-deflate is negotiated elsewhere: the accepted
/// result carries the client's raw `Sec-WebSocket-Extensions` offers for the deflate negotiator,
/// and the caller appends the negotiated `Sec-WebSocket-Extensions` header to the response.
///
/// Every check cites the clause that requires it, in ``evaluate(method:version:uri:headers:configuration:)``.
package enum WebSocketHandshake {
    /// The GUID appended to the client's key to compute the accept value (RFC 6455 §1.3, §4.2.2).
    package static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// The only protocol version this server speaks (RFC 6455 §4.2.1 item 6, §11.6).
    package static let supportedVersion = "13"

    /// What the server accepts.
    package struct Configuration: Hashable, Sendable {
        /// The request path that upgrades, without a query; `/mqtt` by default (DESIGN §1).
        package var path: String
        /// The subprotocols the server speaks, most preferred first; `["mqtt", "mqttv3.1"]` by
        /// default (MQTT 5 §6, MQTT 3.1.1 §6: "mqtt"; "mqttv3.1" for MQTT 3.1 clients).
        /// Compared case-sensitively with the client's offers.
        package var subprotocols: [String]

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - path: The request path that upgrades; `/mqtt` by default.
        ///   - subprotocols: The subprotocols the server speaks, most preferred first.
        package init(path: String = "/mqtt", subprotocols: [String] = ["mqtt", "mqttv3.1"]) {
            self.path = path
            self.subprotocols = subprotocols
        }
    }

    /// A handshake the server accepts.
    package struct Accepted: Sendable {
        /// The response header fields for the `101 Switching Protocols` response, in order:
        /// `Upgrade`, `Connection`, `Sec-WebSocket-Accept`, then `Sec-WebSocket-Protocol` if a
        /// subprotocol was chosen. The caller appends `Sec-WebSocket-Extensions` if it
        /// negotiated one.
        package var headers: [(String, String)]
        /// The `Sec-WebSocket-Accept` value (RFC 6455 §4.2.2 step 5.4).
        package var acceptValue: String
        /// The chosen subprotocol, or `nil` if the client offered none the server speaks.
        package var subprotocol: String?
        /// The values of every `Sec-WebSocket-Extensions` header field of the request, trimmed,
        /// in order; empty if the client offered no extension (RFC 6455 §9.1).
        package var extensionOffers: [String]
    }

    /// The answer to a handshake request.
    package enum Outcome: Sendable {
        /// Upgrade: send `101 Switching Protocols` with the accepted headers.
        case accept(Accepted)
        /// Refuse: send this status with these header fields and do not upgrade. `reason` is for
        /// the log line and may be used as a short body.
        case reject(status: Int, headers: [(String, String)], reason: String)
    }

    /// Checks a handshake request and computes the answer (RFC 6455 §4.2.1, §4.2.2).
    ///
    /// Subprotocols: if the client offers some and the server speaks none of them, the handshake
    /// is still accepted, with no `Sec-WebSocket-Protocol` in the response (RFC 6455 §4.2.2 step
    /// 5.4: the server may answer with no subprotocol). A browser then fails the connection on its
    /// side, which is right for a client that needs a protocol the broker does not speak; other
    /// clients may go on. MQTT clients always offer `mqtt`, so this only affects foreign clients.
    ///
    /// - Parameters:
    ///   - method: The request method, such as `GET`.
    ///   - version: The HTTP version.
    ///   - uri: The request target in origin form (`/mqtt?x=y`); the query is ignored.
    ///   - headers: The request header fields, in order; names are compared case-insensitively.
    ///   - configuration: What the server accepts.
    /// - Returns: `.accept` with the response headers, or `.reject` with the status to send.
    package static func evaluate(
        method: String,
        version: (major: Int, minor: Int),
        uri: String,
        headers: [(String, String)],
        configuration: Configuration = Configuration()
    ) -> Outcome {
        // RFC 6455 §4.2.1 item 1: "An HTTP/1.1 or higher GET request". A method the resource
        // does not support is 405, which MUST carry Allow (RFC 9110 §15.5.6).
        guard method == "GET" else {
            return .reject(status: 405, headers: [("Allow", "GET")], reason: "method \(method) is not GET")
        }
        // RFC 6455 §4.2.1 item 1: HTTP/1.1 or higher; the handshake needs Upgrade, which HTTP/1.0
        // does not have. §4.2.1: otherwise "an appropriate error code (such as 400 Bad Request)".
        guard version.major > 1 || (version.major == 1 && version.minor >= 1) else {
            return .reject(
                status: 400,
                headers: [],
                reason: "HTTP/\(version.major).\(version.minor) is older than HTTP/1.1"
            )
        }
        // RFC 6455 §4.2.1 item 1: the Request-URI names the endpoint; a path that is not the
        // MQTT endpoint is not found.
        let path = uri.prefix { $0 != "?" && $0 != "#" }
        guard path == configuration.path else {
            return .reject(status: 404, headers: [], reason: "path \(path) is not a WebSocket endpoint")
        }
        // RFC 6455 §4.2.1 item 2: a |Host| header field. RFC 9112 §3.2: "A server MUST respond
        // with a 400 (Bad Request) status code to any HTTP/1.1 request message that lacks a Host
        // header field and to any request message that contains more than one Host header field".
        if version.major == 1 {
            guard headers.values(named: "host").count == 1 else {
                return .reject(status: 400, headers: [], reason: "no Host header field, or more than one")
            }
        }
        // RFC 6455 §4.2.1 item 3: an |Upgrade| header field containing the value "websocket",
        // treated as an ASCII case-insensitive value. Upgrade is a list (RFC 9110 §7.8).
        guard headers.tokens(named: "upgrade").contains(where: { $0.lowercased() == "websocket" }) else {
            return .reject(status: 400, headers: [], reason: "no Upgrade: websocket")
        }
        // RFC 6455 §4.2.1 item 4: a |Connection| header field that includes the token "Upgrade",
        // treated as an ASCII case-insensitive value (it may be "keep-alive, Upgrade").
        guard headers.tokens(named: "connection").contains(where: { $0.lowercased() == "upgrade" }) else {
            return .reject(status: 400, headers: [], reason: "no Connection: Upgrade")
        }
        // RFC 6455 §4.2.1 item 6: |Sec-WebSocket-Version| "MUST be 13". §4.2.2 and §4.4: for any
        // other version the server answers 426 with the versions it supports. RFC 9110 §15.5.22:
        // a 426 response MUST carry Upgrade, and Upgrade needs Connection: upgrade (§7.8).
        guard headers.tokens(named: "sec-websocket-version") == [Self.supportedVersion] else {
            return .reject(
                status: 426,
                headers: [
                    ("Upgrade", "websocket"),
                    ("Connection", "Upgrade"),
                    ("Sec-WebSocket-Version", Self.supportedVersion),
                ],
                reason: "Sec-WebSocket-Version is not 13"
            )
        }
        // RFC 6455 §4.2.1 item 5: one |Sec-WebSocket-Key| whose value, "when decoded, is 16 bytes
        // in length"; §11.3.1: it MUST NOT appear more than once in a request.
        let keys = headers.values(named: "sec-websocket-key")
        guard keys.count == 1, let key = keys.first else {
            return .reject(status: 400, headers: [], reason: "no Sec-WebSocket-Key, or more than one")
        }
        guard WebSocketBase64.decode(key)?.count == 16 else {
            return .reject(status: 400, headers: [], reason: "Sec-WebSocket-Key is not base64 of 16 bytes")
        }

        // RFC 6455 §4.2.2 step 5.4: /subprotocol/ is one of the client's offers, or null. The
        // server's order of preference decides, not the client's.
        let offered = headers.tokens(named: "sec-websocket-protocol")
        let subprotocol = configuration.subprotocols.first { offered.contains($0) }

        let acceptValue = Self.acceptValue(forKey: key)
        // RFC 6455 §4.2.2 step 5: the 101 response's fields.
        var responseHeaders: [(String, String)] = [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", acceptValue),
        ]
        if let subprotocol {
            responseHeaders.append(("Sec-WebSocket-Protocol", subprotocol))
        }
        return .accept(
            Accepted(
                headers: responseHeaders,
                acceptValue: acceptValue,
                subprotocol: subprotocol,
                extensionOffers: extensionOffers(in: headers)
            )
        )
    }

    /// The values of every `Sec-WebSocket-Extensions` field, trimmed, in order, empty ones
    /// dropped: ``Accepted/extensionOffers`` of a request already accepted, without checking it
    /// again.
    package static func extensionOffers(in headers: [(String, String)]) -> [String] {
        headers.values(named: "sec-websocket-extensions").filter { !$0.isEmpty }
    }

    /// The `Sec-WebSocket-Accept` value for a key: base64 of the SHA-1 of the key, as sent,
    /// followed by the GUID (RFC 6455 §4.2.2 step 5.4).
    ///
    /// - Parameter key: The `Sec-WebSocket-Key` value, trimmed of surrounding whitespace.
    /// - Returns: The accept value, 28 characters.
    package static func acceptValue(forKey key: String) -> String {
        let digest = Insecure.SHA1.hash(data: Array((key + Self.acceptGUID).utf8))
        return WebSocketBase64.encode(Array(digest))
    }
}
