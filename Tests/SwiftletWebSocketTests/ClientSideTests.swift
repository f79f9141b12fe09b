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

import NIOCore
import SwiftletWebSocket
import Testing

/// The client role of the frame parser and the masked encoder a client writes with (RFC 6455
/// §5.1, §5.3), and the client's half of the opening handshake (§4.1) and of the
/// permessage-deflate negotiation (RFC 7692 §7.1).
@Suite("WebSocket client side")
struct ClientSideTests {
    // MARK: Parser roles

    @Test("a client parses unmasked server frames and hands out the payload as a slice")
    func clientParsesUnmasked() throws {
        var parser = WebSocketFrameParser(role: .client)
        var buffer = ByteBuffer(bytes: [
            0x82, 0x03, 0x01, 0x02, 0x03,  // binary, FIN, unmasked, 3 bytes
            0x89, 0x00,  // ping, empty
        ])
        let frame = try #require(try parser.next(&buffer))
        #expect(frame == WebSocketFrame(opcode: .binary, payload: ByteBuffer(bytes: [1, 2, 3])))
        let ping = try #require(try parser.next(&buffer))
        #expect(ping.opcode == .ping)
        #expect(buffer.readableBytes == 0)
    }

    @Test("a client fails a masked frame with 1002 (RFC 6455 §5.1)")
    func clientRejectsMasked() throws {
        var parser = WebSocketFrameParser(role: .client)
        var buffer = ByteBuffer(bytes: [0x82, 0x83])  // MASK bit set
        let error = #expect(throws: WebSocketProtocolError.self) { _ = try parser.next(&buffer) }
        #expect(error?.closeCode == .protocolError)
    }

    @Test("the server role still fails an unmasked frame with 1002 (RFC 6455 §5.1)")
    func serverStillRejectsUnmasked() throws {
        var parser = WebSocketFrameParser()
        #expect(parser.role == .server)
        var buffer = ByteBuffer(bytes: [0x82, 0x03, 0x01, 0x02, 0x03])
        let error = #expect(throws: WebSocketProtocolError.self) { _ = try parser.next(&buffer) }
        #expect(error?.closeCode == .protocolError)
    }

    @Test("a client parses 16- and 64-bit lengths and splits at every byte", arguments: [0, 5, 125, 126, 300, 70_000])
    func clientLengths(length: Int) throws {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var encoded = ByteBuffer()
        WebSocketFrameEncoder.encode(WebSocketFrame(opcode: .binary, payload: ByteBuffer(bytes: payload)), into: &encoded)
        let bytes = Array(encoded.readableBytesView)
        for split in Set([0, 1, 2, 3, 9, bytes.count - 1].filter { $0 >= 0 && $0 < bytes.count }) {
            var parser = WebSocketFrameParser(maxFrameSize: 1 << 20, role: .client)
            var buffer = ByteBuffer(bytes: bytes[..<split])
            #expect(try parser.next(&buffer) == nil)
            buffer.writeBytes(bytes[split...])
            let frame = try #require(try parser.next(&buffer))
            #expect(Array(frame.payload.readableBytesView) == payload)
        }
    }

    // MARK: Masked encoding

    @Test("a masked frame round-trips through the server parser", arguments: [0, 1, 7, 8, 125, 126, 65_535, 65_536])
    func maskedRoundTrip(length: Int) throws {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 5) }
        var encoded = ByteBuffer(bytes: [0xEE])  // something before: masking appends at any offset
        WebSocketFrameEncoder.encodeMasked(
            WebSocketFrame(opcode: .binary, payload: ByteBuffer(bytes: payload)),
            maskingKey: WebSocketMaskingKey(0x12, 0x34, 0x56, 0x78), into: &encoded)
        encoded.moveReaderIndex(forwardBy: 1)
        // RFC 6455 §5.2: the MASK bit is set and the key follows the length.
        #expect(encoded.getInteger(at: encoded.readerIndex + 1, as: UInt8.self)! & 0x80 != 0)
        var parser = WebSocketFrameParser(maxFrameSize: 1 << 20)
        let frame = try #require(try parser.next(&encoded))
        #expect(Array(frame.payload.readableBytesView) == payload)
        #expect(encoded.readableBytes == 0)
    }

    @Test("masking XORs with the key in wire order (RFC 6455 §5.3)")
    func maskingBytes() {
        var encoded = ByteBuffer()
        WebSocketFrameEncoder.encodeMasked(
            WebSocketFrame(opcode: .text, payload: ByteBuffer(string: "Hello")),
            maskingKey: WebSocketMaskingKey(0x37, 0xFA, 0x21, 0x3D), into: &encoded)
        // RFC 6455 §5.7: "A single-frame masked text message": 0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58
        #expect(Array(encoded.readableBytesView) == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    // MARK: Handshake

    @Test("the request carries key, version 13, subprotocol mqtt and the deflate offer")
    func requestHead() {
        let head = WebSocketClientHandshake.requestHead(
            host: "127.0.0.1:8080", path: "/mqtt", key: "dGhlIHNhbXBsZSBub25jZQ==", offerDeflate: true)
        #expect(head.hasPrefix("GET /mqtt HTTP/1.1\r\n"))
        #expect(head.hasSuffix("\r\n\r\n"))
        #expect(head.contains("\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"))
        #expect(head.contains("\r\nSec-WebSocket-Version: 13\r\n"))
        #expect(head.contains("\r\nSec-WebSocket-Protocol: mqtt\r\n"))
        #expect(
            head.contains(
                "\r\nSec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover\r\n"))
        // The server side accepts what the client side sends.
        let (_, headers) = WebSocketClientHandshake.parseResponseHead(
            Substring(head.replacingFirstLine(with: "HTTP/1.1 200 OK").dropLast(4)))!
        guard case .accept(let accepted) = WebSocketHandshake.evaluate(
            method: "GET", version: (1, 1), uri: "/mqtt", headers: headers)
        else {
            Issue.record("the server refused the client's request")
            return
        }
        #expect(accepted.subprotocol == "mqtt")
    }

    @Test("the key is base64 of 16 bytes and fresh each time")
    func keys() {
        let a = WebSocketClientHandshake.makeKey()
        let b = WebSocketClientHandshake.makeKey()
        #expect(a.count == 24)
        #expect(a != b)
    }

    /// RFC 6455 §1.3's example key and accept value.
    static let key = "dGhlIHNhbXBsZSBub25jZQ=="
    static let accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    static func response(_ extra: [(String, String)] = [], accept: String = Self.accept) -> [(String, String)] {
        [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", accept)] + extra
    }

    @Test("a valid 101 is accepted, with the chosen subprotocol and deflate parameters")
    func validResponse() throws {
        let accepted = try WebSocketClientHandshake.validate(
            status: 101,
            headers: Self.response([
                ("Sec-WebSocket-Protocol", "mqtt"),
                ("Sec-WebSocket-Extensions", "permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
            ]),
            key: Self.key, offeredDeflate: true)
        #expect(accepted.subprotocol == "mqtt")
        #expect(accepted.deflate == .init(serverNoContextTakeover: true))
    }

    @Test("a 101 without the extension means no deflate")
    func noExtension() throws {
        let accepted = try WebSocketClientHandshake.validate(
            status: 101, headers: Self.response(), key: Self.key, offeredDeflate: true)
        #expect(accepted.deflate == nil)
        #expect(accepted.subprotocol == nil)
    }

    @Test(
        "responses that fail the connection (RFC 6455 §4.1, RFC 7692 §7.1)",
        arguments: [
            ("status 200", 200, Self.response(), true),
            ("wrong accept", 101, Self.response(accept: "AAAA"), true),
            ("no upgrade", 101, [("Connection", "Upgrade"), ("Sec-WebSocket-Accept", Self.accept)], true),
            ("subprotocol not offered", 101, Self.response([("Sec-WebSocket-Protocol", "xmpp")]), true),
            ("extension not offered", 101, Self.response([("Sec-WebSocket-Extensions", "permessage-deflate")]), false),
            ("unknown extension", 101, Self.response([("Sec-WebSocket-Extensions", "x-webkit-deflate-frame")]), true),
            (
                "client_max_window_bits not offered", 101,
                Self.response([("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits=10")]), true
            ),
            (
                "unknown deflate parameter", 101,
                Self.response([("Sec-WebSocket-Extensions", "permessage-deflate; x=1")]), true
            ),
        ] as [(String, Int, [(String, String)], Bool)]
    )
    func invalidResponses(_ name: String, status: Int, headers: [(String, String)], offeredDeflate: Bool) {
        #expect(throws: WebSocketClientHandshake.Failure.self, "\(name)") {
            _ = try WebSocketClientHandshake.validate(
                status: status, headers: headers, key: Self.key, offeredDeflate: offeredDeflate)
        }
    }

    @Test("the response head parser reads the status and the fields")
    func responseHead() throws {
        let parsed = try #require(
            WebSocketClientHandshake.parseResponseHead(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept:  abc \r\n"))
        #expect(parsed.status == 101)
        #expect(parsed.headers.map(\.0) == ["Upgrade", "Sec-WebSocket-Accept"])
        #expect(parsed.headers.map(\.1) == ["websocket", "abc"])
        #expect(WebSocketClientHandshake.parseResponseHead("SSH-2.0-OpenSSH\r\n") == nil)
    }
}

extension String {
    fileprivate func replacingFirstLine(with line: String) -> String {
        let parts = self.split(separator: "\r\n", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count == 2 ? line + "\r\n" + parts[1] : line
    }
}
