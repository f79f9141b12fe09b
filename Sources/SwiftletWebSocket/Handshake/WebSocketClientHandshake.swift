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


/// The client's half of the opening handshake (RFC 6455 §4.1), as pure functions over header
/// pairs: build the request, then check the server's response.
///
/// The transport that sends the request and reads the response lives in `SwiftletClient`.
package enum WebSocketClientHandshake {
    /// Why a server's response does not complete the handshake (RFC 6455 §4.1: "the client MUST
    /// _Fail the WebSocket Connection_").
    package struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        package var description: String
        package init(_ description: String) { self.description = description }
    }

    /// What the server agreed to.
    package struct Accepted: Hashable, Sendable {
        /// The subprotocol the server chose, or `nil` if it named none.
        package var subprotocol: String?
        /// The permessage-deflate parameters, or `nil` if the server did not accept the extension.
        package var deflate: PerMessageDeflateNegotiation.ClientParameters?
    }

    /// A fresh `Sec-WebSocket-Key`: base64 of 16 random bytes (RFC 6455 §4.1 item 7: "randomly
    /// selected 16-byte value").
    package static func makeKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return WebSocketBase64.encode((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// The request head of the opening handshake, ending with the empty line (RFC 6455 §4.1).
    ///
    /// - Parameters:
    ///   - host: The `Host` value (`host` or `host:port`, RFC 6455 §4.1 item 4).
    ///   - path: The request target, such as `/mqtt`.
    ///   - key: The `Sec-WebSocket-Key`, from ``makeKey()``.
    ///   - subprotocols: Offered in `Sec-WebSocket-Protocol`, most preferred first (MQTT 5 §6:
    ///     "mqtt").
    ///   - offerDeflate: Whether to offer permessage-deflate with no context takeover either way.
    package static func requestHead(
        host: String,
        path: String,
        key: String,
        subprotocols: [String] = ["mqtt"],
        offerDeflate: Bool
    ) -> String {
        // RFC 6455 §4.1 items 1-9: GET over HTTP/1.1, Host, Upgrade, Connection, key, version 13.
        var head = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        head += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: \(WebSocketHandshake.supportedVersion)\r\n"
        if !subprotocols.isEmpty {
            head += "Sec-WebSocket-Protocol: \(subprotocols.joined(separator: ", "))\r\n"
        }
        if offerDeflate {
            head += "Sec-WebSocket-Extensions: \(PerMessageDeflateNegotiation.clientOffer)\r\n"
        }
        return head + "\r\n"
    }

    /// Parses a response head (status line and header fields, without the final empty line).
    ///
    /// - Returns: The status code and the header fields in order, or `nil` if the status line is
    ///   not `HTTP/1.x NNN …` or a field line has no colon.
    package static func parseResponseHead(_ head: Substring) -> (status: Int, headers: [(String, String)])? {
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)[...]
        guard let statusLine = lines.popFirst() else { return nil }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]) else {
            return nil
        }
        var headers: [(String, String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let value = line[line.index(after: colon)...].trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            let trimmed = value.reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed()
            headers.append((String(line[..<colon]), String(trimmed)))
        }
        return (status, headers)
    }

    /// Checks the server's response (RFC 6455 §4.1, client requirements 1-6; RFC 7692 §5, §7.1).
    ///
    /// - Parameters:
    ///   - status: The response status code.
    ///   - headers: The response header fields.
    ///   - key: The key the request sent.
    ///   - subprotocols: The subprotocols the request offered.
    ///   - offeredDeflate: Whether the request offered permessage-deflate.
    /// - Returns: What was agreed.
    /// - Throws: ``Failure`` when the response does not complete the handshake.
    package static func validate(
        status: Int,
        headers: [(String, String)],
        key: String,
        subprotocols: [String] = ["mqtt"],
        offeredDeflate: Bool
    ) throws(Failure) -> Accepted {
        // RFC 6455 §4.1 client requirement 1: "If the status code received from the server is not
        // 101, the client handles the response per HTTP"; for us that is a failed connection.
        guard status == 101 else { throw Failure("status \(status), not 101 Switching Protocols") }
        // Requirement 2: Upgrade: websocket (case-insensitive).
        guard headers.tokens(named: "upgrade").contains(where: { $0.lowercased() == "websocket" }) else {
            throw Failure("no Upgrade: websocket in the response")
        }
        // Requirement 3: Connection: Upgrade (case-insensitive).
        guard headers.tokens(named: "connection").contains(where: { $0.lowercased() == "upgrade" }) else {
            throw Failure("no Connection: Upgrade in the response")
        }
        // Requirement 4: Sec-WebSocket-Accept is base64(SHA-1(key + GUID)).
        guard headers.values(named: "sec-websocket-accept") == [WebSocketHandshake.acceptValue(forKey: key)] else {
            throw Failure("Sec-WebSocket-Accept does not match the key")
        }
        // Requirement 6: a subprotocol that was not offered fails the connection.
        let chosen = headers.tokens(named: "sec-websocket-protocol")
        guard chosen.count <= 1 else { throw Failure("more than one Sec-WebSocket-Protocol") }
        if let protocolName = chosen.first, !subprotocols.contains(protocolName) {
            throw Failure("the server chose subprotocol \(protocolName), which was not offered")
        }
        // Requirement 5: an extension that was not offered fails the connection.
        var deflate: PerMessageDeflateNegotiation.ClientParameters?
        for value in headers.values(named: "sec-websocket-extensions") {
            for element in ExtensionHeaderParser.elements(of: Substring(value)) {
                guard let offer = ExtensionHeaderParser.offer(from: element),
                    offer.name.lowercased() == PerMessageDeflateNegotiation.extensionName,
                    offeredDeflate, deflate == nil
                else {
                    throw Failure("the server accepted an extension that was not offered: \(element)")
                }
                deflate = try PerMessageDeflateNegotiation.clientAccept(offer)
            }
        }
        return Accepted(subprotocol: chosen.first, deflate: deflate)
    }
}
